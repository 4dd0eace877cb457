// Assembles the admission app from its parts (ECR adapter → token caches per identity, roles assumed with STS →
// handler, which asks the namespace standing → Fastify), without listening.
// main() and the HTTP tests share this, so the tests exercise exactly what runs in production.
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { SecureContextOptions } from 'node:tls';
import type { Logger } from '../common/logger.js';
import type { Clock } from '../common/time.js';
import { buildWebhookApp } from '../http/webhook-app.js';
import { createEcrTokenFetcher } from '../ecr/adapter.js';
import { registerWebhookMetrics, type WebhookMetrics } from '../http/metrics.js';
import { createAdmissionHandler } from '../admission/handler.js';
import { memoizedDockerConfigUpdate } from '../admission/docker-config-update.js';
import type { NamespaceStanding } from '../admission/tenant-policy.js';
import { RoleCredentials } from '../ecr/role-credentials.js';
import { TokenSource } from '../ecr/token-source.js';

export interface WebhookParts {
  readonly app: FastifyInstance;
  readonly tokenSource: TokenSource;
  readonly metrics: WebhookMetrics;
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
}): WebhookParts {
  // The expiry gauge reads the caches at scrape time, after they exist; the fetchers report into the counters.
  const metrics = registerWebhookMetrics(options.registry, () => tokenSource.held(), options.clock);
  // AssumeRole runs inside the ECR fetch's budget; three quarters of it, so a silent STS is reported as such
  // (ROLE_REFUSED) before the whole budget runs out (ECR_TIMEOUT).
  const roles = new RoleCredentials({ region: options.awsRegion, timeoutMs: Math.floor((options.ecrTimeoutMs * 3) / 4), clock: options.clock });
  const tokenSource = new TokenSource({
    clock: options.clock,
    roleCredentials: (role) => roles.providerFor(role),
    fetcherFor: (credentials) =>
      createEcrTokenFetcher({
        timeoutMs: options.ecrTimeoutMs,
        maxAttempts: 2,
        onResult: (region, outcome) => metrics.ecrRequests.inc({ region, outcome }),
        ...(credentials ? { credentials } : {}),
      }),
  });
  const handler = createAdmissionHandler({
    tokenFor: (region, role) => tokenSource.tokenFor(region, role),
    ...(options.namespaceStanding ? { namespaceStanding: options.namespaceStanding } : {}),
    defaultRegion: options.awsRegion,
    updateDockerConfig: memoizedDockerConfigUpdate(),
  });
  const app = buildWebhookApp({ handler, logger: options.logger, metrics, clock: options.clock, ...(options.tls ? { tls: options.tls } : {}) });
  return { app, tokenSource, metrics };
}
