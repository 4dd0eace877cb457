// Wires the webhook together and runs it until SIGTERM: TLS admission server, ops server, token cache, ECR.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Server as TlsServer } from 'node:tls';
import { createLogger, type Logger } from '../common/logger.js';
import { createMetricsRegistry } from '../common/metrics.js';
import { systemClock } from '../common/time.js';
import { createSelfSignedServing, type PemPair } from './certificates.js';
import type { WebhookConfig } from './config.js';
import { composeWebhook } from './compose.js';
import { buildOpsApp } from './ops-app.js';
import { CertificateFiles } from './tls-files.js';

/** Makes a throwaway CA and certificate so a newcomer can run the webhook with no setup at all. */
async function selfSignedPair(logger: Logger): Promise<PemPair> {
  const serving = createSelfSignedServing({ hosts: ['localhost', '127.0.0.1', hostname()], now: systemClock(), validityDays: 365 });
  const dir = await mkdtemp(join(tmpdir(), 'ecr-anywhere-'));
  const caFile = join(dir, 'ca.crt');
  await writeFile(caFile, serving.caPem, { mode: 0o644 });
  logger.warn({ caFile }, 'no CERT_FILE/KEY_FILE given: serving a self-signed certificate; use this CA bundle as the caBundle');
  return serving;
}

export async function runWebhook(config: WebhookConfig): Promise<void> {
  const logger = createLogger({ level: config.logLevel, name: 'ecr-anywhere-webhook' });
  const registry = createMetricsRegistry({ processMetrics: true });
  let ready = false;

  const certificateFiles =
    config.certFile && config.keyFile
      ? new CertificateFiles({
          certFile: config.certFile,
          keyFile: config.keyFile,
          pollMs: config.certPollMs,
          logger,
          onChange: (pair) => (app.server as unknown as TlsServer).setSecureContext({ cert: pair.certPem, key: pair.keyPem }),
        })
      : undefined;
  const pair = certificateFiles ? await certificateFiles.load() : await selfSignedPair(logger);

  const { app } = composeWebhook({
    awsRegion: config.awsRegion,
    ecrTimeoutMs: config.ecrTimeoutMs,
    logger,
    registry,
    clock: systemClock,
    tls: { cert: pair.certPem, key: pair.keyPem },
  });
  const ops = buildOpsApp({ registry, isReady: () => ready });

  await ops.listen({ port: config.opsPort, host: config.host });
  await app.listen({ port: config.port, host: config.host });
  certificateFiles?.start();
  ready = true;
  logger.info(
    { port: addressPort(app), opsPort: addressPort(ops), region: config.awsRegion, ecrTimeoutMs: config.ecrTimeoutMs },
    'ecr-anywhere webhook is serving POST /sync',
  );

  await new Promise<void>((resolve) => {
    const shutdown = (signal: string): void => {
      if (!ready) return;
      ready = false;
      logger.info({ signal }, 'shutting down: not ready, draining in-flight reviews');
      certificateFiles?.stop();
      // Fastify's close stops accepting, lets in-flight requests finish and then closes idle keep-alive sockets.
      void app
        .close()
        .then(() => ops.close())
        .then(() => {
          logger.info('stopped');
          logger.flush();
          resolve();
        });
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}

function addressPort(app: FastifyInstance): number | undefined {
  const address = app.server.address();
  return typeof address === 'object' && address !== null ? address.port : undefined;
}
