// Client authentication of the TLS port: the CA bundle a client certificate must chain to (read from
// CLIENT_CA_FILE and reloaded when the file changes, polled like the serving certificate because Kubernetes swaps
// mounted files by renaming a directory), and the check that a verified certificate carries an allowed name.
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { PeerCertificate } from 'node:tls';
import { configError } from '../common/config.js';
import type { Logger } from '../common/logger.js';
import { ContentPoller } from './content-poller.js';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The CA certificates of a PEM bundle, or why it cannot be used. Every block must be a parseable CA certificate. */
export function parseClientCaBundle(pem: string): { readonly bundle: string; readonly count: number } | { readonly problem: string } {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) return { problem: 'holds no PEM certificate' };
  for (const [index, block] of blocks.entries()) {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(block);
    } catch {
      return { problem: `certificate ${index + 1} is not a valid X.509 certificate` };
    }
    if (!certificate.ca) return { problem: `certificate ${index + 1} (${certificate.subject.replace(/\n/g, ', ')}) is not a CA certificate` };
  }
  return { bundle: blocks.join('\n') + '\n', count: blocks.length };
}

/** Subject CNs and DNS SANs of a peer certificate, as Node's TLS socket reports them. */
export function namesOf(peer: Pick<PeerCertificate, 'subject' | 'subjectaltname'>): string[] {
  const cn = (peer.subject as { CN?: string | string[] } | undefined)?.CN;
  const commonNames = cn === undefined ? [] : Array.isArray(cn) ? cn : [cn];
  const dnsNames = (peer.subjectaltname ?? '')
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice('DNS:'.length));
  return [...commonNames, ...dnsNames];
}

/** True when `allowed` is empty (any certificate from the CA) or the certificate carries one of its names exactly. */
export function carriesAllowedName(peer: Pick<PeerCertificate, 'subject' | 'subjectaltname'>, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const names = namesOf(peer).map((name) => name.toLowerCase());
  return allowed.some((name) => names.includes(name.toLowerCase()));
}

export interface ClientCaFileOptions {
  readonly file: string;
  readonly pollMs: number;
  readonly logger: Logger;
  readonly onChange: (bundle: string) => void;
}

/** CLIENT_CA_FILE now: loaded once at start (a bad file is a configuration error), then polled; a bad new file is ignored. */
export class ClientCaFile {
  private readonly poller: ContentPoller<string, { readonly bundle: string; readonly count: number }>;

  constructor(private readonly options: ClientCaFileOptions) {
    this.poller = new ContentPoller({
      pollMs: options.pollMs,
      read: async () => {
        try {
          return await readFile(options.file, 'utf8');
        } catch (error) {
          throw new Error(`unreadable (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
        }
      },
      fingerprint: (text) => createHash('sha256').update(text).digest('hex'),
      use: (text) => {
        const parsed = parseClientCaBundle(text);
        if ('problem' in parsed) throw new Error(parsed.problem);
        return parsed;
      },
      onChange: (parsed) => {
        options.onChange(parsed.bundle);
        options.logger.info({ clientCaFile: options.file, certificates: parsed.count }, 'reloaded the client CA bundle');
      },
      onUnusable: (reason) => options.logger.warn({ clientCaFile: options.file, reason }, 'client CA file unusable; still verifying clients against the loaded bundle'),
    });
  }

  async load(): Promise<string> {
    try {
      return (await this.poller.first()).bundle;
    } catch (error) {
      throw configError(`CLIENT_CA_FILE=${this.options.file} ${(error as Error).message}`);
    }
  }

  start(): void {
    this.poller.start();
  }

  stop(): void {
    this.poller.stop();
  }
}
