// Client authentication of the TLS port: the CA bundle a client certificate must chain to (read from
// CLIENT_CA_FILE and reloaded when the file changes, polled like the serving certificate because Kubernetes swaps
// mounted files by renaming a directory), and the check that a verified certificate carries an allowed name.
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { PeerCertificate } from 'node:tls';
import { configError } from '../common/config.js';
import type { Logger } from '../common/logger.js';

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
  private timer: NodeJS.Timeout | undefined;
  private current = '';
  private warned = false;

  constructor(private readonly options: ClientCaFileOptions) {}

  async load(): Promise<string> {
    let text: string;
    try {
      text = await readFile(this.options.file, 'utf8');
    } catch (error) {
      throw configError(`cannot read CLIENT_CA_FILE=${this.options.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    const parsed = parseClientCaBundle(text);
    if ('problem' in parsed) throw configError(`CLIENT_CA_FILE=${this.options.file} ${parsed.problem}`);
    this.current = digest(text);
    return parsed.bundle;
  }

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.options.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async poll(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.options.file, 'utf8');
    } catch (error) {
      this.warnOnce(`unreadable (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      return;
    }
    const print = digest(text);
    if (print === this.current) {
      this.warned = false;
      return;
    }
    const parsed = parseClientCaBundle(text);
    if ('problem' in parsed) {
      this.warnOnce(parsed.problem);
      return;
    }
    this.warned = false;
    this.current = print;
    this.options.onChange(parsed.bundle);
    this.options.logger.info({ clientCaFile: this.options.file, certificates: parsed.count }, 'reloaded the client CA bundle');
  }

  private warnOnce(reason: string): void {
    if (!this.warned) this.options.logger.warn({ clientCaFile: this.options.file, reason }, 'client CA file unusable; still verifying clients against the loaded bundle');
    this.warned = true;
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
