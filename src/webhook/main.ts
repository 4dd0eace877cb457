// Wires the webhook together and runs it until SIGTERM: TLS admission server (certificate from files, from a
// self-managed Secret, or made at start), ops server, token cache, ECR.
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
import { createSelfManagedTls } from './self-tls/self-tls-source.js';
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

/** Where the serving certificate comes from; every source hands later certificates to the running server. */
interface TlsSource {
  /** The first pair; for TLS_MODE=self this waits (retrying) until the Secret and caBundle are in place. */
  initial(): Promise<PemPair>;
  start(): void;
  stop(): void;
}

function chooseTlsSource(config: WebhookConfig, logger: Logger, serve: (pair: PemPair) => void): TlsSource {
  if (config.tlsMode === 'self' && config.selfTls) {
    const selfTls = createSelfManagedTls(config.selfTls, logger, serve);
    return { initial: () => selfTls.firstCertificate(), start: () => selfTls.start(), stop: () => selfTls.stop() };
  }
  if (config.tlsMode === 'files' && config.certFile && config.keyFile) {
    const files = new CertificateFiles({ certFile: config.certFile, keyFile: config.keyFile, pollMs: config.certPollMs, logger, onChange: serve });
    return { initial: () => files.load(), start: () => files.start(), stop: () => files.stop() };
  }
  return { initial: () => selfSignedPair(logger), start: () => undefined, stop: () => undefined };
}

export async function runWebhook(config: WebhookConfig): Promise<void> {
  const logger = createLogger({ level: config.logLevel, name: 'ecr-anywhere-webhook' });
  const registry = createMetricsRegistry({ processMetrics: true });
  let ready = false;
  // Set once the TLS server exists; a source hands later certificates to it.
  const listening: { server?: TlsServer } = {};
  const tls = chooseTlsSource(config, logger, (pair) => listening.server?.setSecureContext({ cert: pair.certPem, key: pair.keyPem }));
  const ops = buildOpsApp({ registry, isReady: () => ready });
  let signalled: string | undefined;
  const signals = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  void signals.then((signal) => {
    signalled = signal;
    if (!ready) tls.stop(); // still waiting for a first certificate: stop waiting
  });

  // The ops port comes first, so liveness answers (and readiness says no) while TLS_MODE=self waits.
  await ops.listen({ port: config.opsPort, host: config.host });
  logger.info({ opsPort: addressPort(ops), tlsMode: config.tlsMode }, 'ops port is serving /healthz, /readyz and /metrics; not ready until a TLS certificate is loaded');
  let pair: PemPair;
  try {
    pair = await tls.initial();
  } catch (error) {
    await ops.close();
    if (signalled === undefined) throw error;
    logger.info({ signal: signalled }, 'stopped before a TLS certificate was loaded');
    logger.flush();
    return;
  }

  const { app } = composeWebhook({
    awsRegion: config.awsRegion,
    ecrTimeoutMs: config.ecrTimeoutMs,
    logger,
    registry,
    clock: systemClock,
    tls: { cert: pair.certPem, key: pair.keyPem },
  });
  listening.server = app.server as unknown as TlsServer;
  await app.listen({ port: config.port, host: config.host });
  tls.start();
  ready = true;
  logger.info(
    { port: addressPort(app), opsPort: addressPort(ops), region: config.awsRegion, ecrTimeoutMs: config.ecrTimeoutMs, tlsMode: config.tlsMode },
    'ecr-anywhere webhook is serving POST /sync',
  );

  const signal = await signals;
  ready = false;
  logger.info({ signal }, 'shutting down: not ready, draining in-flight reviews');
  tls.stop();
  await drain(app);
  await ops.close();
  logger.info('stopped');
  logger.flush();
}

/** Longest a shutdown waits for in-flight reviews: inside Kubernetes' default 30 s grace period. */
const DRAIN_LIMIT_MS = 20_000;

/**
 * Stops accepting, lets in-flight reviews finish, and closes keep-alive connections as soon as they fall idle. The
 * API server keeps its connections open; left alone they would hold the process for the whole keep-alive timeout.
 */
async function drain(app: FastifyInstance): Promise<void> {
  const sweep = setInterval(() => app.server.closeIdleConnections(), 200);
  const limit = setTimeout(() => app.server.closeAllConnections(), DRAIN_LIMIT_MS);
  try {
    await app.close();
  } finally {
    clearInterval(sweep);
    clearTimeout(limit);
  }
}

function addressPort(app: FastifyInstance): number | undefined {
  const address = app.server.address();
  return typeof address === 'object' && address !== null ? address.port : undefined;
}
