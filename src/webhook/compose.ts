// Assembles the admission app from its parts (ECR adapter → token cache → handler → Fastify), without listening.
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
import { TokenCache } from '../ecr/token-cache.js';

export interface WebhookParts {
  readonly app: FastifyInstance;
  readonly tokenCache: TokenCache;
  readonly metrics: WebhookMetrics;
}

export function composeWebhook(options: {
  readonly awsRegion: string;
  readonly ecrTimeoutMs: number;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly clock: Clock;
  readonly tls?: SecureContextOptions;
}): WebhookParts {
  // The expiry gauge reads the cache at scrape time, after it exists; the fetcher reports into the counters.
  const metrics = registerWebhookMetrics(options.registry, () => tokenCache.held(), options.clock);
  const fetchToken = createEcrTokenFetcher({
    timeoutMs: options.ecrTimeoutMs,
    maxAttempts: 2,
    onResult: (region, outcome) => metrics.ecrRequests.inc({ region, outcome }),
  });
  const tokenCache = new TokenCache(fetchToken, options.clock);
  const handler = createAdmissionHandler({
    tokenFor: (region) => tokenCache.get(region),
    defaultRegion: options.awsRegion,
    updateDockerConfig: memoizedDockerConfigUpdate(),
  });
  const app = buildWebhookApp({ handler, logger: options.logger, metrics, clock: options.clock, ...(options.tls ? { tls: options.tls } : {}) });
  return { app, tokenCache, metrics };
}
