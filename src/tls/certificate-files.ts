// Serves whatever certificate is in CERT_FILE/KEY_FILE now, polled (content-poller.ts): a half-written or
// mismatched pair is ignored until it becomes valid, so a swap never breaks the listener.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import type { Logger } from '../common/logger.js';
import type { PemPair } from './certificates.js';
import { keyMatches, parseCertificate } from './certificate-inspection.js';
import { ContentPoller } from './content-poller.js';

export interface CertificateFilesOptions {
  readonly certFile: string;
  readonly keyFile: string;
  readonly pollMs: number;
  readonly logger: Logger;
  readonly onChange: (pair: PemPair) => void;
}

async function readPemFiles(certFile: string, keyFile: string): Promise<PemPair> {
  const [certPem, keyPem] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
  return { certPem, keyPem };
}

/**
 * Throws when the pair is unusable or mismatched. A secure context alone is not enough: it accepts an empty
 * certificate (a file caught half-written) beside a valid key.
 */
function checkPemPair(pair: PemPair): void {
  const certificate = parseCertificate(pair.certPem, 'the certificate file');
  if ('problem' in certificate) throw new Error(certificate.problem);
  if (!keyMatches(certificate, pair.keyPem)) throw new Error('the key file does not hold the private key of the certificate');
  createSecureContext({ cert: pair.certPem, key: pair.keyPem });
}

export async function readPemPair(certFile: string, keyFile: string): Promise<PemPair> {
  const pair = await readPemFiles(certFile, keyFile);
  checkPemPair(pair);
  return pair;
}

function fingerprint(pair: PemPair): string {
  return createHash('sha256').update(pair.certPem).update('\0').update(pair.keyPem).digest('hex');
}

export class CertificateFiles {
  private readonly poller: ContentPoller<PemPair, PemPair>;

  constructor(private readonly options: CertificateFilesOptions) {
    this.poller = new ContentPoller({
      pollMs: options.pollMs,
      read: () => readPemFiles(options.certFile, options.keyFile),
      // Unchanged files are not parsed again: building a secure context costs milliseconds of CPU on every poll.
      fingerprint,
      use: (pair) => {
        checkPemPair(pair);
        return pair;
      },
      onChange: (pair) => {
        options.onChange(pair);
        options.logger.info({ certFile: options.certFile }, 'reloaded the TLS certificate');
      },
      onUnusable: (reason) => options.logger.warn({ reason }, 'certificate files unreadable; still serving the loaded certificate'),
    });
  }

  /** Loads the pair once; rejects with a clear message when the files are missing or invalid. */
  async load(): Promise<PemPair> {
    try {
      return await this.poller.first();
    } catch (error) {
      throw new Error(
        `cannot load the TLS certificate from CERT_FILE=${this.options.certFile} and KEY_FILE=${this.options.keyFile}: ${(error as Error).message}`,
      );
    }
  }

  start(): void {
    this.poller.start();
  }

  stop(): void {
    this.poller.stop();
  }
}
