// Serves whatever certificate is in CERT_FILE/KEY_FILE now, polled (content-poller.ts): a half-written or
// mismatched pair is ignored until it becomes valid, so a swap never breaks the listener.
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { EcrAnywhereError, ErrorCodes, errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { PemPair } from './certificates.js';
import { fingerprint, keyMatches, parseCertificate } from './certificate-inspection.js';
import { ContentPoller, type PollResult } from './content-poller.js';

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
      throw new EcrAnywhereError(
        ErrorCodes.TLS_CERTIFICATE_FILES,
        `cannot load the TLS certificate from CERT_FILE=${this.options.certFile} and KEY_FILE=${this.options.keyFile}: ${errorMessage(error)}`,
      );
    }
  }

  start(): void {
    this.poller.start();
  }

  stop(): void {
    this.poller.stop();
  }

  /**
   * One poll (start() runs it every pollMs): hands over a changed, valid pair; keeps serving the loaded one when the
   * files are unchanged or broken, warning once per broken spell.
   */
  check(): Promise<PollResult> {
    return this.poller.check();
  }
}
