// Where the serving certificate comes from: files (hot-reloaded), a self-managed Secret, or a throwaway pair made
// at start. Every source hands later certificates to the running server through `serve`.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../common/logger.js';
import { systemClock } from '../common/time.js';
import { CertificateFiles } from './certificate-files.js';
import type { PemPair } from './certificates.js';
import type { SelfTlsConfig } from './self-managed/config.js';
import type { TlsMode } from './tls-mode.js';

export interface TlsSource {
  /** The first pair; for TLS_MODE=self this waits (retrying) until the Secret and caBundle are in place. */
  initial(): Promise<PemPair>;
  start(): void;
  stop(): void;
}

export interface TlsSourceConfig {
  readonly tlsMode: TlsMode;
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  readonly certPollMs: number;
  /** Present exactly when tlsMode is `self`. */
  readonly selfTls: SelfTlsConfig | undefined;
}

/** Makes a throwaway CA and certificate so a newcomer can run the webhook with no setup at all. */
async function selfSignedPair(logger: Logger): Promise<PemPair> {
  // node-forge is loaded only by the modes that make certificates: files mode never holds it.
  const { createSelfSignedServing } = await import('./certificates.js');
  const serving = createSelfSignedServing({ hosts: ['localhost', '127.0.0.1', hostname()], now: systemClock(), validityDays: 365 });
  const dir = await mkdtemp(join(tmpdir(), 'ecr-anywhere-'));
  const caFile = join(dir, 'ca.crt');
  await writeFile(caFile, serving.caPem, { mode: 0o644 });
  logger.warn({ caFile }, 'no CERT_FILE/KEY_FILE given: serving a self-signed certificate; use this CA bundle as the caBundle');
  return serving;
}

export async function chooseTlsSource(config: TlsSourceConfig, logger: Logger, serve: (pair: PemPair) => void): Promise<TlsSource> {
  if (config.tlsMode === 'self' && config.selfTls) {
    // Loaded only in this mode: the Kubernetes client is most of what the webhook would otherwise hold in memory.
    const { createSelfManagedTls } = await import('./self-managed/create.js');
    const { tls: selfTls, guard } = createSelfManagedTls(config.selfTls, logger, serve);
    return {
      initial: () => selfTls.firstCertificate(),
      start: () => (selfTls.start(), guard.start()),
      stop: () => (selfTls.stop(), guard.stop()),
    };
  }
  if (config.tlsMode === 'files' && config.certFile && config.keyFile) {
    const files = new CertificateFiles({ certFile: config.certFile, keyFile: config.keyFile, pollMs: config.certPollMs, logger, onChange: serve });
    return { initial: () => files.load(), start: () => files.start(), stop: () => files.stop() };
  }
  return { initial: () => selfSignedPair(logger), start: () => undefined, stop: () => undefined };
}
