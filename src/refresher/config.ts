// Configuration of `ecr-anywhere refresh` and `ecr-anywhere status`: flags override environment variables, which
// override defaults. A bad value stops the program (exit 2) with a message naming the setting.
import { parseArgs } from 'node:util';
import {
  configError,
  parseBooleanSetting,
  isDnsLabel,
  parseObjectName,
  parseDurationSetting,
  parseLogLevel,
  parsePositiveInt,
  parseThreshold,
  pick,
  type Env,
} from '../common/config.js';

/** Where to look and how to talk to the API server: shared by `refresh` and `status`. */
export interface ClusterScopeConfig {
  readonly kubeconfig: string | undefined;
  readonly context: string | undefined;
  /** Only this namespace (it must still be labeled enabled). */
  readonly namespace: string | undefined;
  /**
   * Namespaced mode: exactly these namespaces, each listed and read on its own, so Roles in them suffice (no
   * cluster-wide list of Secrets or Namespaces). Each must be labeled enabled.
   */
  readonly namespaces: readonly string[] | undefined;
  /** Never refreshed, whatever their labels say: the webhook's excluded namespaces and its release namespace. */
  readonly excludedNamespaces: readonly string[];
  /** An extra label selector namespaces must match besides the enabled label (to shard or scope runs). */
  readonly namespaceSelector: string | undefined;
  readonly thresholdMs: number;
  readonly pageSize: number;
  readonly requestTimeoutMs: number;
}

export interface ProvisioningConfig {
  readonly secretName: string;
  /** ServiceAccounts whose imagePullSecrets get the Secret; empty: none. */
  readonly serviceAccounts: readonly string[];
}

export interface RefreshConfig extends ClusterScopeConfig {
  /** Time until the next run: Secrets with short-lived credentials must stay valid at least that long. */
  readonly intervalMs: number;
  readonly force: boolean;
  readonly dryRun: boolean;
  readonly concurrency: number;
  readonly provisioning: ProvisioningConfig | undefined;
  readonly logLevel: ReturnType<typeof parseLogLevel>;
}

export type OutputFormat = 'table' | 'json';

export interface StatusConfig extends ClusterScopeConfig {
  readonly output: OutputFormat;
}

const SCOPE_USAGE = `  --namespace NAME        only this namespace (it must be labeled enabled) [REFRESH_NAMESPACE]
  --namespaces LIST       namespaced mode: only these comma-separated namespaces, each listed on its
                          own, so Roles there suffice (each must be labeled enabled) [REFRESH_NAMESPACES]
  --exclude-namespaces LIST
                          comma-separated namespaces never refreshed (the webhook's excluded ones)
                          [REFRESH_EXCLUDED_NAMESPACES] (default: none)
  --namespace-selector S  extra label selector namespaces must also match, e.g. team=payments
                          [REFRESH_NAMESPACE_SELECTOR] (default: none)
  --threshold DUR         a Secret is stale when its credentials expire within DUR [REFRESH_THRESHOLD]
                          (default 6h; must stay below 11h)
  --page-size N           items per list call (limit + continue) [REFRESH_PAGE_SIZE] (default 500)
  --request-timeout DUR   budget for one API request [REFRESH_REQUEST_TIMEOUT] (default 30s)
  --kubeconfig PATH       kubeconfig file (default: in a pod its service account, else $KUBECONFIG
                          or ~/.kube/config)
  --context NAME          kubeconfig context [KUBE_CONTEXT] (default: the current context)`;

export const REFRESH_USAGE = `Usage: ecr-anywhere refresh [options]

Refreshes the managed Secrets whose ECR credentials are stale: bumps their
ecr-anywhere.centml.ai/marked_for_update_at annotation so the webhook refills them, and checks the result.
Exit 0 only when every stale Secret was refreshed and verified; 1 when any failed; 2 on bad options.

Options (each also read from the environment variable in brackets):
${SCOPE_USAGE}
  --force                 refresh every managed Secret, fresh or not [REFRESH_FORCE]
  --dry-run               print the plan, write nothing [REFRESH_DRY_RUN]
  --concurrency N         Secrets refreshed at once [REFRESH_CONCURRENCY] (default 8)
  --interval DUR          time between runs (the CronJob's period): when the webhook's credentials are
                          shorter than the threshold, a refreshed Secret must stay valid this long
                          [REFRESH_INTERVAL] (default 30m)
  --provision-secret-name NAME
                          in every enabled namespace, create this managed Secret when missing
                          [PROVISION_SECRET_NAME] (default: no provisioning)
  --provision-service-accounts LIST
                          comma-separated ServiceAccounts whose imagePullSecrets get that Secret
                          [PROVISION_SERVICE_ACCOUNTS] (default "default"; empty: none)
  --log-level LEVEL       fatal|error|warn|info|debug|trace|silent [LOG_LEVEL] (default info)`;

export const STATUS_USAGE = `Usage: ecr-anywhere status [options]

Shows the managed Secrets in enabled namespaces: registries, time to expiry, last refresh, staleness.
Exit 0 when every Secret holds unexpired credentials; 1 when any is expired, has none, or is immutable; 2 on bad options.

Options (each also read from the environment variable in brackets):
  -o, --output FORMAT     table or json (default table)
${SCOPE_USAGE}`;

const SCOPE_OPTIONS = {
  namespace: { type: 'string' },
  namespaces: { type: 'string' },
  'exclude-namespaces': { type: 'string' },
  'namespace-selector': { type: 'string' },
  threshold: { type: 'string' },
  'page-size': { type: 'string' },
  'request-timeout': { type: 'string' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
} as const;

function dnsLabel(value: string | undefined, setting: string): string | undefined {
  if (value === undefined) return undefined;
  if (!isDnsLabel(value)) throw configError(`${setting} "${value}" is not a namespace name (lower-case letters, digits and '-', at most 63)`);
  return value;
}

function namespaceList(value: string | undefined, setting: string): string[] | undefined {
  if (value === undefined) return undefined;
  const names = [...new Set(value.split(',').map((name) => name.trim()).filter((name) => name !== ''))];
  return names.map((name) => dnsLabel(name, setting) ?? name);
}

function parseScope(values: { [K in keyof typeof SCOPE_OPTIONS]?: string | undefined }, env: Env): ClusterScopeConfig {
  const selector = pick(values['namespace-selector'], env, 'REFRESH_NAMESPACE_SELECTOR')?.trim();
  const namespace = dnsLabel(pick(values.namespace, env, 'REFRESH_NAMESPACE'), 'REFRESH_NAMESPACE');
  const namespaces = namespaceList(pick(values.namespaces, env, 'REFRESH_NAMESPACES'), 'REFRESH_NAMESPACES');
  if (namespace !== undefined && namespaces !== undefined) throw configError('give REFRESH_NAMESPACE or REFRESH_NAMESPACES, not both');
  if (namespaces !== undefined && namespaces.length === 0) throw configError('REFRESH_NAMESPACES names no namespace');
  return {
    kubeconfig: values.kubeconfig === '' ? undefined : values.kubeconfig,
    context: pick(values.context, env, 'KUBE_CONTEXT'),
    namespace,
    namespaces,
    excludedNamespaces: namespaceList(pick(values['exclude-namespaces'], env, 'REFRESH_EXCLUDED_NAMESPACES'), 'REFRESH_EXCLUDED_NAMESPACES') ?? [],
    namespaceSelector: selector === '' ? undefined : selector,
    thresholdMs: parseThreshold(pick(values.threshold, env, 'REFRESH_THRESHOLD')),
    pageSize: parsePositiveInt(pick(values['page-size'], env, 'REFRESH_PAGE_SIZE'), 'REFRESH_PAGE_SIZE', 500),
    requestTimeoutMs: parseDurationSetting(pick(values['request-timeout'], env, 'REFRESH_REQUEST_TIMEOUT'), 'REFRESH_REQUEST_TIMEOUT', 30_000),
  };
}

/** Unlike other settings, an explicitly empty list is meaningful here: patch no ServiceAccount. */
function parseServiceAccounts(flag: string | undefined, env: Env): string[] {
  const raw = flag ?? env.PROVISION_SERVICE_ACCOUNTS ?? 'default';
  const names = raw.split(',').map((name) => name.trim()).filter((name) => name !== '');
  return [...new Set(names.map((name) => parseObjectName(name, 'PROVISION_SERVICE_ACCOUNTS')))];
}

export function parseRefreshConfig(argv: readonly string[], env: Env): RefreshConfig {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      ...SCOPE_OPTIONS,
      force: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      concurrency: { type: 'string' },
      interval: { type: 'string' },
      'provision-secret-name': { type: 'string' },
      'provision-service-accounts': { type: 'string' },
      'log-level': { type: 'string' },
    },
  });
  const concurrency = parsePositiveInt(pick(values.concurrency, env, 'REFRESH_CONCURRENCY'), 'REFRESH_CONCURRENCY', 8);
  if (concurrency > 64) throw configError(`REFRESH_CONCURRENCY must stay at or below 64 to spare the API server, got "${concurrency}"`);
  const secretName = pick(values['provision-secret-name'], env, 'PROVISION_SECRET_NAME');
  if (secretName === undefined && values['provision-service-accounts'] !== undefined) {
    throw configError('--provision-service-accounts needs --provision-secret-name: name the Secret to provision');
  }
  return {
    ...parseScope(values, env),
    force: parseBooleanSetting(values.force, env, 'REFRESH_FORCE'),
    dryRun: parseBooleanSetting(values['dry-run'], env, 'REFRESH_DRY_RUN'),
    concurrency,
    intervalMs: parseDurationSetting(pick(values.interval, env, 'REFRESH_INTERVAL'), 'REFRESH_INTERVAL', 30 * 60_000),
    provisioning:
      secretName === undefined
        ? undefined
        : { secretName: parseObjectName(secretName, 'PROVISION_SECRET_NAME'), serviceAccounts: parseServiceAccounts(values['provision-service-accounts'], env) },
    logLevel: parseLogLevel(pick(values['log-level'], env, 'LOG_LEVEL')),
  };
}

export function parseStatusConfig(argv: readonly string[], env: Env): StatusConfig {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: { ...SCOPE_OPTIONS, output: { type: 'string', short: 'o' } },
  });
  const output = values.output ?? 'table';
  if (output !== 'table' && output !== 'json') throw configError(`--output must be table or json, got "${output}"`);
  return { ...parseScope(values, env), output };
}
