// The TLS_MODE=self loop: read the Secret, apply the rule, write what changed (losing gracefully to another
// replica), publish the caBundle, and hand the serving pair to the TLS server — once until it succeeds, then
// every check interval. Order matters: the caBundle is published before a pair is served, so the API server
// trusts a certificate before it ever sees it.
import { setTimeout as sleep } from 'node:timers/promises';
import { EcrAnywhereError, ErrorCodes, errorCode, errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { formatRfc3339, type Clock } from '../../common/time.js';
import type { PemPair } from '../certificates.js';
import { fingerprint, parseCertificate } from '../certificate-inspection.js';
import type { SelfTlsStore } from './kubernetes-store.js';
import { renewTlsContents } from './renew.js';
import { caBundleFor, decideTls, type TlsPolicy } from './decision.js';

export interface SelfManagedTlsOptions {
  readonly store: SelfTlsStore;
  readonly hosts: readonly string[];
  readonly policy: TlsPolicy;
  readonly checkIntervalMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Receives every serving pair after the first one (which firstCertificate() returns). */
  readonly onChange: (pair: PemPair) => void;
  /** Backoff between failed first attempts: doubles from initialMs up to maxMs. */
  readonly retry?: { readonly initialMs: number; readonly maxMs: number };
}

/** How many times one pass re-reads the Secret after losing a write to another replica. */
const MAX_CONFLICTS = 3;

export class SelfManagedTls {
  private timer: NodeJS.Timeout | undefined;
  private served = '';
  private publishedBundle: string | undefined;
  private readonly stopping = new AbortController();

  constructor(private readonly options: SelfManagedTlsOptions) {}

  /**
   * Retries with backoff until there is a certificate the webhook configuration trusts; each failure is logged
   * with what to fix. Rejects only when stop() is called first.
   */
  async firstCertificate(): Promise<PemPair> {
    const { initialMs, maxMs } = this.options.retry ?? { initialMs: 1_000, maxMs: Math.min(30_000, this.options.checkIntervalMs) };
    for (let attempt = 1, delayMs = initialMs; ; attempt += 1, delayMs = Math.min(delayMs * 2, maxMs)) {
      try {
        const pair = await this.sync();
        this.served = fingerprint(pair);
        return pair;
      } catch (error) {
        if (this.stopping.signal.aborted) throw error;
        this.options.logger.error(
          { attempt, retryInMs: delayMs, ...failureFields(error) },
          `no TLS certificate yet, not ready: ${errorMessage(error)}`,
        );
      }
      await sleep(delayMs, undefined, { signal: this.stopping.signal });
    }
  }

  /** Re-checks every interval: renewals, rotations and certificates written by other replicas. */
  start(): void {
    const tick = (): void => {
      this.timer = setTimeout(() => {
        void this.check().finally(() => {
          if (!this.stopping.signal.aborted) tick();
        });
      }, this.options.checkIntervalMs);
      this.timer.unref();
    };
    tick();
  }

  /** The caBundle last published (the CaBundleGuard keeps it in place); undefined before the first. */
  currentCaBundle(): string | undefined {
    return this.publishedBundle;
  }

  stop(): void {
    this.stopping.abort();
    if (this.timer) clearTimeout(this.timer);
  }

  private async check(): Promise<void> {
    try {
      const pair = await this.sync();
      const print = fingerprint(pair);
      if (print === this.served) return;
      this.served = print;
      this.options.onChange(pair);
      this.options.logger.info({ secret: this.options.store.secretRef, ...describeCertificate(pair.certPem) }, 'now serving a new TLS certificate');
    } catch (error) {
      this.options.logger.error(
        { retryInMs: this.options.checkIntervalMs, ...failureFields(error) },
        `TLS certificate check failed; still serving the current certificate: ${errorMessage(error)}`,
      );
    }
  }

  /** One pass: read, decide, write if needed, publish the caBundle; returns the pair to serve. */
  async sync(): Promise<PemPair> {
    const { store, hosts, policy, logger } = this.options;
    for (let conflicts = 0; conflicts <= MAX_CONFLICTS; conflicts += 1) {
      const read = await store.readSecret();
      const now = this.options.clock();
      const decision = decideTls(read.contents, hosts, now, policy);
      let contents = read.contents;
      if (decision.action !== 'keep') {
        const renewed = renewTlsContents(read.contents, decision, hosts, now, policy);
        if ((await store.writeSecret(read, renewed)) === 'conflict') {
          logger.info({ secret: store.secretRef }, 'another replica updated the TLS Secret first: using what it wrote');
          continue;
        }
        contents = renewed;
        logger.info(
          { secret: store.secretRef, action: decision.action, reasons: decision.reasons, ...describeCertificate(renewed.cert ?? '') },
          `wrote the TLS Secret (${decision.action})`,
        );
      }
      const bundle = caBundleFor(contents, now);
      if (bundle === undefined || contents.cert === undefined || contents.key === undefined) {
        throw new EcrAnywhereError(ErrorCodes.TLS_SELF_MANAGED, `the TLS Secret ${store.secretRef} holds no usable CA and certificate after an update`);
      }
      if ((await store.publishCaBundle(bundle)) === 'patched') {
        logger.info(
          { webhookConfiguration: store.webhookConfigurationRef, certificateAuthorities: bundle.match(/BEGIN CERTIFICATE/g)?.length ?? 0 },
          'published the caBundle',
        );
      }
      this.publishedBundle = bundle;
      return { certPem: contents.cert, keyPem: contents.key };
    }
    throw new EcrAnywhereError(
      ErrorCodes.TLS_SELF_MANAGED,
      `the TLS Secret ${store.secretRef} kept changing while being updated (${MAX_CONFLICTS + 1} conflicts); will retry`,
    );
  }
}

/** The code and, for API failures, the API server's HTTP status, as log fields. */
function failureFields(error: unknown): { code?: string; status?: number } {
  const status = error instanceof EcrAnywhereError ? error.apiStatus : undefined;
  return { code: errorCode(error), ...(status === undefined ? {} : { status }) };
}

/** Public facts about a certificate for log lines: never the key. */
function describeCertificate(certPem: string): Record<string, string> {
  const parsed = parseCertificate(certPem, 'certificate');
  if ('problem' in parsed) return {};
  return {
    notAfter: formatRfc3339(parsed.notAfter),
    issuer: parsed.x509.issuer.replace(/^CN=/, ''),
    sha256: parsed.x509.fingerprint256,
  };
}
