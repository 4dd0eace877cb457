// Webhook configuration: flags override environment variables, which override defaults.
import { parseArgs } from 'node:util';
import { parseRegistryPatterns, type TenancyDefaults } from '../admission/tenant-policy.js';
import { awsRegion, configError, parseBoolean, parseDurationSetting, parseLogLevel, parsePort, pick, type Env } from '../common/config.js';
import { parseSelfTlsConfig, SELF_TLS_OPTIONS, SELF_TLS_USAGE, type SelfTlsConfig } from '../tls/self-managed/config.js';
import { TLS_MODES, type TlsMode } from '../tls/tls-mode.js';

export interface WebhookConfig {
  readonly port: number;
  readonly opsPort: number;
  readonly host: string;
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  readonly tlsMode: TlsMode;
  /** Present exactly when tlsMode is `self`. */
  readonly selfTls: SelfTlsConfig | undefined;
  readonly awsRegion: string;
  readonly logLevel: ReturnType<typeof parseLogLevel>;
  /** Whole budget for one ECR token fetch, retries included. */
  readonly ecrTimeoutMs: number;
  readonly certPollMs: number;
  /** Learn namespaces (enabled label, tenant policy) from a metadata-only watch; off only without a cluster. */
  readonly namespaceWatch: boolean;
  /** Only --kubeconfig: the KUBECONFIG variable is read by the standard client loading itself. */
  readonly kubeconfig: string | undefined;
  /** Cluster defaults for namespaces whose annotations do not say. */
  readonly tenancy: TenancyDefaults;
}

export const WEBHOOK_USAGE = `Usage: ecr-anywhere webhook [options]

Serves POST /sync (TLS) for the API server and /healthz, /readyz, /metrics (plain HTTP).

Options (each also read from the environment variable in brackets):
  --port N           TLS port for admission reviews [PORT] (default 8443)
  --ops-port N       plain-HTTP port for health and metrics [OPS_PORT] (default 8080)
  --host ADDR        address to listen on [LISTEN_HOST] (default 0.0.0.0)
  --cert-file PATH   PEM certificate, reloaded when it changes [CERT_FILE]
  --key-file PATH    PEM private key, reloaded when it changes [KEY_FILE]
  --tls-mode MODE    files | self | ephemeral [TLS_MODE] (default: files when CERT_FILE/KEY_FILE
                     are given, else ephemeral: a throwaway CA and certificate made at start)
  --aws-region NAME  region of the default registry [AWS_REGION] (required)
  --ecr-timeout DUR  budget for one ECR token fetch, retries included [ECR_TIMEOUT] (default 4s)
  --log-level LEVEL  fatal|error|warn|info|debug|trace|silent [LOG_LEVEL] (default info)
  --kubeconfig PATH  outside a pod: kubeconfig for the namespace watch and TLS_MODE=self [KUBECONFIG]
  --namespace-watch on|off
                     on: learn namespaces and their policy from a metadata-only watch, answer a
                     review naming a namespace that is not enabled with no patch, and be ready only
                     once synced. off: trust the review's namespace (no cluster: tests, benchmarks)
                     [NAMESPACE_WATCH] (default on)
  --default-allowed-registries LIST
                     registry host patterns for namespaces without the allowed-registries
                     annotation; * stands for an account or a region, * alone for any registry,
                     none for no registry [DEFAULT_ALLOWED_REGISTRIES] (default *)
  --require-namespace-role
                     a namespace without the role-arn annotation gets no credentials
                     [REQUIRE_NAMESPACE_ROLE] (default false)

${SELF_TLS_USAGE}

AWS credentials and endpoints come from the AWS SDK's standard variables and files only.`;

export function parseWebhookConfig(argv: readonly string[], env: Env): WebhookConfig {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      port: { type: 'string' },
      'ops-port': { type: 'string' },
      host: { type: 'string' },
      'cert-file': { type: 'string' },
      'key-file': { type: 'string' },
      'aws-region': { type: 'string' },
      'ecr-timeout': { type: 'string' },
      'log-level': { type: 'string' },
      'tls-mode': { type: 'string' },
      'namespace-watch': { type: 'string' },
      'default-allowed-registries': { type: 'string' },
      'require-namespace-role': { type: 'boolean' },
      ...SELF_TLS_OPTIONS,
    },
  });
  const certFile = pick(values['cert-file'], env, 'CERT_FILE');
  const keyFile = pick(values['key-file'], env, 'KEY_FILE');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw configError('CERT_FILE and KEY_FILE go together: give both, or neither for a self-signed certificate');
  }
  const tlsMode = parseTlsMode(pick(values['tls-mode'], env, 'TLS_MODE'), certFile !== undefined);
  const ecrTimeoutMs = parseDurationSetting(pick(values['ecr-timeout'], env, 'ECR_TIMEOUT'), 'ECR_TIMEOUT', 4_000);
  if (ecrTimeoutMs > 8_000) throw configError('ECR_TIMEOUT must stay at or below 8s: the API server waits at most 10s for the webhook');
  return {
    port: parsePort(pick(values.port, env, 'PORT'), 'PORT', 8443),
    opsPort: parsePort(pick(values['ops-port'], env, 'OPS_PORT'), 'OPS_PORT', 8080),
    host: pick(values.host, env, 'LISTEN_HOST') ?? '0.0.0.0',
    certFile,
    keyFile,
    tlsMode,
    selfTls: tlsMode === 'self' ? parseSelfTlsConfig(values, env) : undefined,
    awsRegion: awsRegion(values['aws-region'], env),
    logLevel: parseLogLevel(pick(values['log-level'], env, 'LOG_LEVEL')),
    ecrTimeoutMs,
    certPollMs: 2_000,
    namespaceWatch: parseOnOff(pick(values['namespace-watch'], env, 'NAMESPACE_WATCH'), 'NAMESPACE_WATCH', true),
    kubeconfig: values.kubeconfig === '' ? undefined : values.kubeconfig,
    tenancy: {
      allowed: parseDefaultPatterns(pick(values['default-allowed-registries'], env, 'DEFAULT_ALLOWED_REGISTRIES') ?? '*'),
      requireRole: parseBoolean(values['require-namespace-role'], env, 'REQUIRE_NAMESPACE_ROLE'),
    },
  };
}

function parseOnOff(value: string | undefined, setting: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  const normal = value.trim().toLowerCase();
  if (['on', 'true', '1', 'yes'].includes(normal)) return true;
  if (['off', 'false', '0', 'no'].includes(normal)) return false;
  throw configError(`${setting} must be on or off, got "${value}"`);
}

function parseDefaultPatterns(text: string): TenancyDefaults['allowed'] {
  const parsed = parseRegistryPatterns(text);
  if (!parsed.ok) {
    throw configError(`DEFAULT_ALLOWED_REGISTRIES ${parsed.entry === '' ? 'is empty' : `has an invalid entry "${parsed.entry}"`}: ${parsed.reason}`);
  }
  return { patterns: parsed.patterns, text: parsed.text };
}

function parseTlsMode(value: string | undefined, haveFiles: boolean): TlsMode {
  if (value === undefined) return haveFiles ? 'files' : 'ephemeral';
  const mode = TLS_MODES.find((candidate) => candidate === value.toLowerCase());
  if (mode === undefined) throw configError(`TLS_MODE must be one of ${TLS_MODES.join(', ')}; got "${value}"`);
  if (mode === 'files' && !haveFiles) throw configError('TLS_MODE=files needs CERT_FILE and KEY_FILE');
  if (mode !== 'files' && haveFiles) {
    throw configError(`TLS_MODE=${mode} makes its own certificate: CERT_FILE/KEY_FILE are only read with TLS_MODE=files`);
  }
  return mode;
}
