// Wires the webhook together and runs it until SIGTERM: TLS admission server (certificate from files, from a
// self-managed Secret, or made at start), ops server, token cache, ECR.
import type { FastifyInstance } from 'fastify';
import type { Server as HttpsServer } from 'node:https';
import { createLogger } from '../common/logger.js';
import { createMetricsRegistry } from '../common/metrics.js';
import { systemClock } from '../common/time.js';
import { buildOpsApp } from '../http/ops-app.js';
import type { PemPair } from '../tls/certificates.js';
import { chooseTlsSource } from '../tls/tls-source.js';
import { carriesAllowedName, ClientCaFile } from '../tls/client-auth.js';
import { hardenServer, secureContextOptions, tlsServerOptions, type TlsServing } from '../http/server-options.js';
import type { WebhookConfig } from './config.js';
import { composeWebhook } from './compose.js';
import { trustedReviewStanding } from '../admission/tenant-policy.js';
import { configError } from '../common/config.js';
import type { NamespaceWatch } from './namespace-watch.js';

/**
 * The namespace watch, unless NAMESPACE_WATCH=off; a missing cluster configuration stops the start clearly. The
 * Kubernetes client is loaded only here (and by self-managed TLS): it is the process's largest module (~40 MiB heap).
 */
async function namespaceWatchOf(config: WebhookConfig, logger: ReturnType<typeof createLogger>): Promise<NamespaceWatch | undefined> {
  if (!config.namespaceWatch) {
    logger.warn('NAMESPACE_WATCH=off: the namespace a review names is trusted; run with the watch on in a cluster');
    return undefined;
  }
  const [{ loadKubeConfig }, { startNamespaceWatch }] = await Promise.all([import('../common/kubernetes-client.js'), import('./namespace-watch.js')]);
  let kubeConfig;
  try {
    kubeConfig = loadKubeConfig({ kubeconfig: config.kubeconfig });
  } catch (error) {
    throw configError(`the namespace watch needs a cluster (${error instanceof Error ? error.message : String(error)}); NAMESPACE_WATCH=off runs without one`);
  }
  return startNamespaceWatch({ kubeConfig, defaults: config.tenancy, logger });
}

export async function runWebhook(config: WebhookConfig): Promise<void> {
  const logger = createLogger({ level: config.logLevel, name: 'ecr-anywhere-webhook' });
  const registry = createMetricsRegistry({ processMetrics: true });
  let ready = false;
  // Set once the TLS server exists; a new serving pair or client CA replaces its one secure context.
  const listening: { server?: HttpsServer; serving?: TlsServing } = {};
  const reserve = (change: Partial<TlsServing>): void => {
    if (listening.serving === undefined) return;
    listening.serving = { ...listening.serving, ...change };
    listening.server?.setSecureContext(secureContextOptions(listening.serving));
    // Idle kept-alive connections were authenticated against the old CA: closing them makes clients shake hands anew.
    if (change.clientCa !== undefined) listening.server?.closeIdleConnections();
  };
  const clientCaFile = config.clientCaFile === undefined ? undefined : new ClientCaFile({ file: config.clientCaFile, pollMs: config.certPollMs, logger, onChange: (clientCa) => reserve({ clientCa }) });
  const clientCa = await clientCaFile?.load();
  if (clientCa === undefined) {
    logger.warn(
      'no CLIENT_CA_FILE: any client that reaches the TLS port can send a made-up admission review and read ECR credentials from the answer; set CLIENT_CA_FILE to the CA of the API server\'s webhook client certificate (docs/security.md), and narrow the port with a NetworkPolicy',
    );
  }
  const tls = await chooseTlsSource(config, logger, (pair) => reserve({ pair }));
  const watch = await namespaceWatchOf(config, logger);
  // Ready only once the namespace watch has listed every namespace: before that every review would be refused.
  const ops = buildOpsApp({ registry, isReady: () => ready && (watch?.synced() ?? true) });
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
    await watch?.stop();
    if (signalled === undefined) throw error;
    logger.info({ signal: signalled }, 'stopped before a TLS certificate was loaded');
    logger.flush();
    return;
  }

  const { app, startBackgroundRenewal } = composeWebhook({
    awsRegion: config.awsRegion,
    staleThresholdMs: config.staleThresholdMs,
    ...(config.sessionDurationSeconds === undefined ? {} : { sessionDurationSeconds: config.sessionDurationSeconds }),
    ...(config.serviceAccountPullSecret === undefined ? {} : { serviceAccountPullSecret: config.serviceAccountPullSecret }),
    ecrTimeoutMs: config.ecrTimeoutMs,
    logger,
    registry,
    clock: systemClock,
    tls: tlsServerOptions((listening.serving = { pair, clientCa, minVersion: config.tlsMinVersion })),
    namespaceStanding: watch ? (namespace) => watch.standing(namespace) : trustedReviewStanding(config.tenancy),
  });
  listening.server = app.server as unknown as HttpsServer;
  const allowedNames = config.clientAllowedNames;
  hardenServer(listening.server, { logger, ...(allowedNames.length > 0 ? { acceptPeer: (peer) => carriesAllowedName(peer, allowedNames) } : {}) });
  await app.listen({ port: config.port, host: config.host });
  tls.start();
  const stopRenewal = startBackgroundRenewal();
  clientCaFile?.start();
  ready = true;
  logger.info(
    {
      port: addressPort(app),
      opsPort: addressPort(ops),
      region: config.awsRegion,
      ecrTimeoutMs: config.ecrTimeoutMs,
      tlsMode: config.tlsMode,
      namespaceWatch: config.namespaceWatch,
      defaultAllowedRegistries: config.tenancy.allowed.text,
      requireNamespaceRole: config.tenancy.requireRole,
      clientAuth: clientCa !== undefined,
      serviceAccountPullSecret: config.serviceAccountPullSecret ?? null,
    },
    'ecr-anywhere webhook is serving POST /sync',
  );

  const signal = await signals;
  ready = false;
  logger.info({ signal }, 'shutting down: not ready, draining in-flight reviews');
  tls.stop();
  stopRenewal();
  clientCaFile?.stop();
  await drain(app);
  await watch?.stop();
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
