// Webhook configuration: flags override environment variables, which override defaults.
import { parseArgs } from 'node:util';
import { parseRegistryPatterns, type TenancyDefaults } from '../admission/tenant-policy.js';
import { awsRegion, configError, parseBooleanSetting, parseObjectName, parseDurationSetting, parseLogLevel, parsePort, parseThreshold, pick, type Env } from '../common/config.js';
import { parseSelfTlsConfig, SELF_TLS_OPTIONS, SELF_TLS_USAGE, type SelfTlsConfig } from '../tls/self-managed/config.js';
import { TLS_MODES, type TlsMode } from '../tls/tls-mode.js';
import { knownRegion } from '../ecr/regions.js';
import type { TlsMinVersion } from '../http/server-options.js';

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
  /** The refresher's staleness threshold: during an ECR outage a held token with more life than this is served. */
  readonly staleThresholdMs: number;
  /** Role session length asked for with web identity (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE); undefined: STS's 1 h. */
  readonly sessionDurationSeconds: number | undefined;
  /** PEM bundle of the CAs a client certificate must chain to; undefined = no client authentication. */
  readonly clientCaFile: string | undefined;
  /** Subject CNs / DNS SANs of which a client certificate must carry one; empty = any certificate from the CA. */
  readonly clientAllowedNames: readonly string[];
  readonly tlsMinVersion: TlsMinVersion;
  /** The pull Secret POST /mutate-serviceaccounts adds to ServiceAccounts being created; undefined: none is added. */
  readonly serviceAccountPullSecret: string | undefined;
}


export const WEBHOOK_USAGE = `Usage: ecr-anywhere webhook [options]

Serves POST /sync and POST /mutate-serviceaccounts (TLS) for the API server and /healthz, /readyz, /metrics (plain HTTP).

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
  --refresh-threshold DUR
                     the refresher's staleness threshold; while ECR fails, a held token with more
                     life than this is still written (with a warning) [REFRESH_THRESHOLD] (default 6h)
  --aws-session-duration DUR
                     role session length asked for with web identity (15m-12h; the role's
                     MaxSessionDuration must allow it) [AWS_ROLE_SESSION_DURATION] (default: STS's 1h)
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
  --client-ca-file PATH  PEM CA bundle: the TLS port then demands a client certificate chaining to
                     it (the API server's, see docs/security.md); reloaded when it changes [CLIENT_CA_FILE]
  --client-allowed-names LIST  comma-separated subject CNs / DNS SANs, one of which the client
                     certificate must carry (needs CLIENT_CA_FILE) [CLIENT_ALLOWED_NAMES]
  --tls-min-version V  1.2 | 1.3 [TLS_MIN_VERSION] (default 1.2)
  --service-account-pull-secret NAME
                     the Secret POST /mutate-serviceaccounts adds to the imagePullSecrets of
                     ServiceAccounts being created (the chart's serviceAccounts.inject)
                     [SERVICE_ACCOUNT_PULL_SECRET] (default: none; such reviews pass unchanged)

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
      'refresh-threshold': { type: 'string' },
      'aws-session-duration': { type: 'string' },
      'tls-mode': { type: 'string' },
      'namespace-watch': { type: 'string' },
      'default-allowed-registries': { type: 'string' },
      'require-namespace-role': { type: 'boolean' },
      'client-ca-file': { type: 'string' },
      'client-allowed-names': { type: 'string' },
      'tls-min-version': { type: 'string' },
      'service-account-pull-secret': { type: 'string' },
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
  const clientCaFile = pick(values['client-ca-file'], env, 'CLIENT_CA_FILE');
  const clientAllowedNames = parseAllowedNames(pick(values['client-allowed-names'], env, 'CLIENT_ALLOWED_NAMES'));
  if (clientAllowedNames.length > 0 && clientCaFile === undefined) {
    throw configError('CLIENT_ALLOWED_NAMES needs CLIENT_CA_FILE: names are only checked on certificates verified against that CA');
  }
  const region = awsRegion(values['aws-region'], env);
  if (knownRegion(region) === undefined) throw configError(`AWS_REGION "${region}" is not a region of any AWS partition this version knows`);
  return {
    port: parsePort(pick(values.port, env, 'PORT'), 'PORT', 8443),
    opsPort: parsePort(pick(values['ops-port'], env, 'OPS_PORT'), 'OPS_PORT', 8080),
    host: pick(values.host, env, 'LISTEN_HOST') ?? '0.0.0.0',
    certFile,
    keyFile,
    tlsMode,
    selfTls: tlsMode === 'self' ? parseSelfTlsConfig(values, env) : undefined,
    awsRegion: region,
    logLevel: parseLogLevel(pick(values['log-level'], env, 'LOG_LEVEL')),
    ecrTimeoutMs,
    certPollMs: 2_000,
    namespaceWatch: parseOnOff(pick(values['namespace-watch'], env, 'NAMESPACE_WATCH'), 'NAMESPACE_WATCH', true),
    kubeconfig: values.kubeconfig === '' ? undefined : values.kubeconfig,
    tenancy: {
      allowed: parseDefaultPatterns(pick(values['default-allowed-registries'], env, 'DEFAULT_ALLOWED_REGISTRIES') ?? '*'),
      requireRole: parseBooleanSetting(values['require-namespace-role'], env, 'REQUIRE_NAMESPACE_ROLE'),
    },
    staleThresholdMs: parseThreshold(pick(values['refresh-threshold'], env, 'REFRESH_THRESHOLD')),
    sessionDurationSeconds: parseSessionDuration(pick(values['aws-session-duration'], env, 'AWS_ROLE_SESSION_DURATION')),
    clientCaFile,
    clientAllowedNames,
    tlsMinVersion: parseTlsMinVersion(pick(values['tls-min-version'], env, 'TLS_MIN_VERSION')),
    serviceAccountPullSecret: parseServiceAccountPullSecret(pick(values['service-account-pull-secret'], env, 'SERVICE_ACCOUNT_PULL_SECRET')),
  };
}

function parseServiceAccountPullSecret(value: string | undefined): string | undefined {
  return value === undefined ? undefined : parseObjectName(value.trim(), 'SERVICE_ACCOUNT_PULL_SECRET');
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

/** STS grants role sessions of 15 min to 12 h (the role's MaxSessionDuration caps it). */
function parseSessionDuration(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDurationSetting(value, 'AWS_ROLE_SESSION_DURATION', 0);
  if (ms < 15 * 60_000 || ms > 12 * 3_600_000) throw configError(`AWS_ROLE_SESSION_DURATION must be between 15m and 12h (STS's limits), got "${value}"`);
  return Math.round(ms / 1000);
}

function parseAllowedNames(value: string | undefined): string[] {
  if (value === undefined) return [];
  const names = [...new Set(value.split(',').map((name) => name.trim()).filter((name) => name !== ''))];
  if (names.length === 0) throw configError('CLIENT_ALLOWED_NAMES lists no name; leave it unset to accept any certificate from CLIENT_CA_FILE');
  return names;
}

function parseTlsMinVersion(value: string | undefined): TlsMinVersion {
  if (value === undefined) return 'TLSv1.2';
  const normalized = value.trim().replace(/^tlsv?/i, '');
  if (normalized === '1.2') return 'TLSv1.2';
  if (normalized === '1.3') return 'TLSv1.3';
  throw configError(`TLS_MIN_VERSION must be 1.2 or 1.3; got "${value}"`);
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
