// Serves whatever certificate is in CERT_FILE/KEY_FILE now. Kubernetes swaps a mounted Secret by renaming a
// symlinked directory, which file watchers miss; polling the content every few seconds catches every swap.
// A half-written or mismatched pair is ignored until it becomes valid, so a swap never breaks the listener.
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { EcrAnywhereError, ErrorCodes, errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { PemPair } from './certificates.js';
import { fingerprint, keyMatches, parseCertificate } from './certificate-inspection.js';

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
  private timer: NodeJS.Timeout | undefined;
  private current = '';
  private warned = false;

  constructor(private readonly options: CertificateFilesOptions) {}

  /** Loads the pair once; rejects with a clear message when the files are missing or invalid. */
  async load(): Promise<PemPair> {
    try {
      const pair = await readPemPair(this.options.certFile, this.options.keyFile);
      this.current = fingerprint(pair);
      return pair;
    } catch (error) {
      throw new EcrAnywhereError(
        ErrorCodes.TLS_CERTIFICATE_FILES,
        `cannot load the TLS certificate from CERT_FILE=${this.options.certFile} and KEY_FILE=${this.options.keyFile}: ${errorMessage(error)}`,
      );
    }
  }

  start(): void {
    this.timer = setInterval(() => void this.check(), this.options.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * One poll (start() runs it every pollMs): hands over a changed, valid pair; keeps serving the loaded one when the
   * files are unchanged or broken, warning once per broken spell.
   */
  async check(): Promise<'unchanged' | 'invalid' | 'reloaded'> {
    let pair: PemPair;
    let print: string;
    try {
      pair = await readPemFiles(this.options.certFile, this.options.keyFile);
      print = fingerprint(pair);
      // Unchanged files are not parsed again: building a secure context costs milliseconds of CPU on every poll.
      if (print === this.current) {
        this.warned = false;
        return 'unchanged';
      }
      checkPemPair(pair);
    } catch (error) {
      if (!this.warned) this.options.logger.warn({ reason: errorMessage(error) }, 'certificate files unreadable; still serving the loaded certificate');
      this.warned = true;
      return 'invalid';
    }
    this.warned = false;
    this.current = print;
    this.options.onChange(pair);
    this.options.logger.info({ certFile: this.options.certFile }, 'reloaded the TLS certificate');
    return 'reloaded';
  }
}
