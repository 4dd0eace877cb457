// Configuration of `ecr-anywhere migrate`: flags only (a one-off run by a person), but for the kubeconfig context.
import { parseArgs } from 'node:util';
import { configError, isDnsLabel, parseDurationSetting, pick, type Env } from '../common/config.js';
import { isPeer, LOGIN_RENEW_DEFAULT_SECRET_NAME, PEERS, type Peer } from './peer-names.js';

export interface MigrateConfig {
  readonly from: Peer;
  readonly apply: boolean;
  /** Names or `*` patterns; undefined: every namespace. */
  readonly namespaces: readonly string[] | undefined;
  readonly secretName: string | undefined;
  readonly output: 'table' | 'json';
  readonly kubeconfig: string | undefined;
  readonly context: string | undefined;
  readonly requestTimeoutMs: number;
}

export const MIGRATE_USAGE = `Usage: ecr-anywhere migrate --from PEER [options]

Finds the Secrets another ECR credential tool manages and hands them to ecr-anywhere, keeping their names:
adds the ecr-anywhere.centml.ai/managed label and the registries annotation (from the peer's own data) to each
Secret and the enabled label to its Namespace; the webhook fills the Secret on that very update.
A dry run unless --apply. Stop the peer before --apply, or it keeps rewriting the Secrets.
Exit 0 when every Secret found is (or would be) managed; 1 when none is found or any is skipped or failed;
2 on bad options.

Options:
  --from PEER             ${PEERS.join(' | ')} (required)
                          kubeecr: Secrets annotated deft.com/kubeecr: <account>/<region>
                          eatr: in namespaces labeled <registry host>: "true", the Secret named after that host
                          k8s-ecr-login-renew: the Secret DOCKER_SECRET_NAME (see --secret-name)
                          registry-creds: the Secret awsecr-cred
  --apply                 make the changes (default: print what would change, change nothing)
  --namespaces LIST       only these comma-separated namespaces; '*' matches any characters (team-*), as
                          k8s-ecr-login-renew's TARGET_NAMESPACE (default: every namespace)
  --secret-name NAME      k8s-ecr-login-renew only: its DOCKER_SECRET_NAME
                          (default ${LOGIN_RENEW_DEFAULT_SECRET_NAME})
  -o, --output FORMAT     table or json (default table)
  --request-timeout DUR   budget for one API request (default 30s)
  --kubeconfig PATH       kubeconfig file (default: $KUBECONFIG or ~/.kube/config)
  --context NAME          kubeconfig context [KUBE_CONTEXT] (default: the current context)`;

const NAMESPACE_PATTERN = /^[a-z0-9*]([-a-z0-9*]*[a-z0-9*])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function namespacePatterns(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const entries = [...new Set(value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''))];
  if (entries.length === 0) throw configError('--namespaces names no namespace');
  for (const entry of entries) {
    const valid = entry.includes('*') ? entry.length <= 63 && NAMESPACE_PATTERN.test(entry) : isDnsLabel(entry);
    if (!valid) throw configError(`--namespaces entry "${entry}" is not a namespace name or a pattern with '*'`);
  }
  return entries;
}

export function parseMigrateConfig(argv: readonly string[], env: Env): MigrateConfig {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      from: { type: 'string' },
      apply: { type: 'boolean' },
      namespaces: { type: 'string' },
      'secret-name': { type: 'string' },
      output: { type: 'string', short: 'o' },
      'request-timeout': { type: 'string' },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
    },
  });
  const from = values.from;
  if (from === undefined) throw configError(`--from is required: one of ${PEERS.join(', ')}`);
  if (!isPeer(from)) throw configError(`--from must be one of ${PEERS.join(', ')}, got "${from}"`);
  const secretName = values['secret-name'];
  if (secretName !== undefined && from !== 'k8s-ecr-login-renew') throw configError(`--secret-name applies to --from k8s-ecr-login-renew only (${from} uses fixed names)`);
  if (secretName !== undefined && (secretName.length > 253 || !DNS_SUBDOMAIN.test(secretName))) {
    throw configError(`--secret-name "${secretName}" is not a valid Secret name`);
  }
  const output = values.output ?? 'table';
  if (output !== 'table' && output !== 'json') throw configError(`--output must be table or json, got "${output}"`);
  return {
    from,
    apply: values.apply === true,
    namespaces: namespacePatterns(values.namespaces),
    secretName,
    output,
    kubeconfig: values.kubeconfig === '' ? undefined : values.kubeconfig,
    context: pick(values.context, env, 'KUBE_CONTEXT'),
    requestTimeoutMs: parseDurationSetting(values['request-timeout'], '--request-timeout', 30_000),
  };
}
