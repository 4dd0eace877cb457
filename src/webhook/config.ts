// Webhook configuration: flags override environment variables, which override defaults.
import { parseArgs } from 'node:util';
import { awsRegion, configError, parseDurationSetting, parseLogLevel, parsePort, pick, type Env } from '../common/config.js';

export interface WebhookConfig {
  readonly port: number;
  readonly opsPort: number;
  readonly host: string;
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  readonly awsRegion: string;
  readonly logLevel: ReturnType<typeof parseLogLevel>;
  /** Whole budget for one ECR token fetch, retries included. */
  readonly ecrTimeoutMs: number;
  readonly certPollMs: number;
}

export const WEBHOOK_USAGE = `Usage: ecr-anywhere webhook [options]

Serves POST /sync (TLS) for the API server and /healthz, /readyz, /metrics (plain HTTP).

Options (each also read from the environment variable in brackets):
  --port N           TLS port for admission reviews [PORT] (default 8443)
  --ops-port N       plain-HTTP port for health and metrics [OPS_PORT] (default 8080)
  --host ADDR        address to listen on [LISTEN_HOST] (default 0.0.0.0)
  --cert-file PATH   PEM certificate, reloaded when it changes [CERT_FILE]
  --key-file PATH    PEM private key, reloaded when it changes [KEY_FILE]
                     (neither given: a self-signed CA and certificate are made at start)
  --aws-region NAME  region of the default registry [AWS_REGION] (required)
  --ecr-timeout DUR  budget for one ECR token fetch, retries included [ECR_TIMEOUT] (default 4s)
  --log-level LEVEL  fatal|error|warn|info|debug|trace|silent [LOG_LEVEL] (default info)

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
    },
  });
  const certFile = pick(values['cert-file'], env, 'CERT_FILE');
  const keyFile = pick(values['key-file'], env, 'KEY_FILE');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw configError('CERT_FILE and KEY_FILE go together: give both, or neither for a self-signed certificate');
  }
  const ecrTimeoutMs = parseDurationSetting(pick(values['ecr-timeout'], env, 'ECR_TIMEOUT'), 'ECR_TIMEOUT', 4_000);
  if (ecrTimeoutMs > 8_000) throw configError('ECR_TIMEOUT must stay at or below 8s: the API server waits at most 10s for the webhook');
  return {
    port: parsePort(pick(values.port, env, 'PORT'), 'PORT', 8443),
    opsPort: parsePort(pick(values['ops-port'], env, 'OPS_PORT'), 'OPS_PORT', 8080),
    host: pick(values.host, env, 'LISTEN_HOST') ?? '0.0.0.0',
    certFile,
    keyFile,
    awsRegion: awsRegion(values['aws-region'], env),
    logLevel: parseLogLevel(pick(values['log-level'], env, 'LOG_LEVEL')),
    ecrTimeoutMs,
    certPollMs: 2_000,
  };
}
