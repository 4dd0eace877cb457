// Assembles the admission app from its parts (ECR adapter → token caches per identity, roles assumed with STS →
// handler, which asks the namespace standing → Fastify), without listening.
// main() and the HTTP tests share this, so the tests exercise exactly what runs in production.
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { SecureContextOptions } from 'node:tls';
import { ErrorCodes } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { formatDuration, formatRfc3339, type Clock } from '../common/time.js';
import { DEFAULT_STALE_THRESHOLD_MS } from '../common/token-life.js';
import { buildWebhookApp } from '../http/webhook-app.js';
import { createEcrTokenFetcher } from '../ecr/adapter.js';
import { lifeAtFetchMs, type EcrToken, type FetchEcrToken } from '../ecr/token.js';
import { registerWebhookMetrics, type WebhookMetrics } from '../http/metrics.js';
import { createAdmissionHandler } from '../admission/handler.js';
import { createServiceAccountHandler } from '../admission/service-account-injection.js';
import { memoizedDockerConfigUpdate } from '../admission/docker-config-update.js';
import type { NamespaceStanding } from '../admission/tenant-policy.js';
import { RoleCredentials } from '../ecr/role-credentials.js';
import { TokenSource } from '../ecr/token-source.js';

export interface WebhookParts {
  readonly app: FastifyInstance;
  readonly tokenSource: TokenSource;
  readonly metrics: WebhookMetrics;
  /** Fetches the default region's token now and renews held tokens ahead of time until the returned stop is called. */
  readonly startBackgroundRenewal: () => () => void;
}

/** How often held tokens are checked against their renew-ahead point (a 1 h token's is 2.5 min after fetch). */
const RENEWAL_CHECK_MS = 20_000;

/** The warning for credentials that cannot give tokens the refresher would call fresh, with the fix. */
export function shortCredentialsWarning(token: EcrToken, staleThresholdMs: number): string {
  return (
    `ECR tokens fetched with these AWS credentials live only ${formatDuration(lifeAtFetchMs(token))}: the credentials expire at ` +
    `${formatRfc3339(token.credentialsExpireAt ?? token.expiresAt)}, before ECR's 12 h, and that is not more than REFRESH_THRESHOLD ` +
    `(${formatDuration(staleThresholdMs)}). Secrets then stay valid only that long: every refresher run refreshes them all, and ` +
    `the refresher must run more often than that. Fix: raise the IAM role's MaxSessionDuration to 12h and set ` +
    `AWS_ROLE_SESSION_DURATION=12h (web identity) or duration_seconds = 43200 in the AWS config profile (role_arn)`
  );
}

/** The fetcher, telling once per region when the credentials cut tokens short. */
function warnOnShortTokens(fetch: FetchEcrToken, staleThresholdMs: number, logger: Logger): FetchEcrToken {
  const warned = new Set<string>();
  return async (region) => {
    const token = await fetch(region);
    if (!warned.has(region) && lifeAtFetchMs(token) <= staleThresholdMs) {
      warned.add(region);
      logger.warn({ region, code: ErrorCodes.SHORT_CREDENTIALS.code }, shortCredentialsWarning(token, staleThresholdMs));
    }
    return token;
  };
}

export function composeWebhook(options: {
  readonly awsRegion: string;
  readonly ecrTimeoutMs: number;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly clock: Clock;
  readonly tls?: SecureContextOptions;
  /** The namespace watch's answer; absent: every namespace under the open defaults (no cluster). */
  readonly namespaceStanding?: (namespace: string) => NamespaceStanding;
  readonly staleThresholdMs?: number;
  readonly sessionDurationSeconds?: number;
  /** The pull Secret added to ServiceAccounts being created (POST /mutate-serviceaccounts); absent: none. */
  readonly serviceAccountPullSecret?: string;
}): WebhookParts {
  const staleThresholdMs = options.staleThresholdMs ?? DEFAULT_STALE_THRESHOLD_MS;
  // The expiry gauge reads the caches at scrape time, after they exist; the fetchers report into the counters.
  const metrics = registerWebhookMetrics(options.registry, () => tokenSource.held(), options.clock);
  // AssumeRole runs inside the ECR fetch's budget; three quarters of it, so a silent STS is reported as such
  // (ROLE_REFUSED) before the whole budget runs out (ECR_TIMEOUT).
  const roles = new RoleCredentials({ region: options.awsRegion, timeoutMs: Math.floor((options.ecrTimeoutMs * 3) / 4), clock: options.clock });
  const tokenSource = new TokenSource({
    clock: options.clock,
    staleThresholdMs,
    roleCredentials: (role) => roles.providerFor(role),
    fetcherFor: (credentials) =>
      warnOnShortTokens(
        createEcrTokenFetcher({
          timeoutMs: options.ecrTimeoutMs,
          maxAttempts: 2,
          clock: options.clock,
          onResult: (region, outcome) => metrics.ecrRequests.inc({ region, outcome }),
          onClockSkew: (skewMs) =>
            options.logger.warn(
              { skewMs },
              `this machine's clock is ${formatDuration(Math.abs(skewMs))} ${skewMs > 0 ? 'behind' : 'ahead of'} AWS's; token lives are judged from AWS's Date header, but fix the clock (NTP)`,
            ),
          ...(credentials ? { credentials } : {}),
          ...(options.sessionDurationSeconds === undefined ? {} : { sessionDurationSeconds: options.sessionDurationSeconds }),
        }),
        staleThresholdMs,
        options.logger,
      ),
  });
  const handler = createAdmissionHandler({
    tokenFor: (region, role) => tokenSource.tokenFor(region, role),
    ...(options.namespaceStanding ? { namespaceStanding: options.namespaceStanding } : {}),
    defaultRegion: options.awsRegion,
    updateDockerConfig: memoizedDockerConfigUpdate(),
  });
  const app = buildWebhookApp({
    handler,
    serviceAccountHandler: createServiceAccountHandler(options.serviceAccountPullSecret),
    logger: options.logger,
    metrics,
    clock: options.clock,
    ...(options.tls ? { tls: options.tls } : {}),
  });
  const startBackgroundRenewal = (): (() => void) => {
    tokenSource.tokenFor(options.awsRegion, undefined).catch((error: unknown) =>
      options.logger.warn({ region: options.awsRegion, error: (error as Error).message }, 'could not fetch a first ECR token at start; admissions will try again'),
    );
    const timer = setInterval(() => void tokenSource.renewDue(), RENEWAL_CHECK_MS);
    timer.unref();
    return () => clearInterval(timer);
  };
  return { app, tokenSource, metrics, startBackgroundRenewal };
}
