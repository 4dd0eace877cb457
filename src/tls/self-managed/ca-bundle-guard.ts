// Keeps the caBundle in place between certificate checks. Under Argo CD, Flux or `helm template | kubectl apply`,
// Helm's `lookup` returns nothing, so every sync writes the MutatingWebhookConfiguration without the caBundle
// self-managed TLS patched in, and the API server can no longer call the webhook. The guard reads the object
// every few seconds (a GET of one small object, with the `get` the chart already grants; a watch would need list
// and watch as well) and restores the bundle with the same publishCaBundle the certificate loop uses.
import type { Logger } from '../../common/logger.js';
import type { SelfTlsStore } from './kubernetes-store.js';

export interface CaBundleGuardOptions {
  readonly store: Pick<SelfTlsStore, 'publishCaBundle' | 'webhookConfigurationRef'>;
  /** The bundle last published by the certificate loop; undefined before the first one. */
  readonly bundle: () => string | undefined;
  readonly intervalMs: number;
  readonly logger: Logger;
}

/** Often enough that an admission fails for seconds at most after a sync strips the caBundle. */
export const CA_BUNDLE_GUARD_INTERVAL_MS = 2_000;

export class CaBundleGuard {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastError = '';

  constructor(private readonly options: CaBundleGuardOptions) {}

  /** One look: restores the caBundle when it no longer is the published one. */
  async check(): Promise<'restored' | 'unchanged' | 'nothing-published'> {
    const bundle = this.options.bundle();
    if (bundle === undefined) return 'nothing-published';
    const result = await this.options.store.publishCaBundle(bundle);
    if (result === 'unchanged') return 'unchanged';
    this.options.logger.warn(
      { webhookConfiguration: this.options.store.webhookConfigurationRef },
      'the caBundle of the webhook configuration had been changed or removed (a GitOps sync or `kubectl apply` of the rendered chart?): restored it',
    );
    return 'restored';
  }

  start(): void {
    const tick = (): void => {
      this.timer = setTimeout(() => {
        void this.check()
          .then(() => (this.lastError = ''))
          .catch((error: unknown) => {
            // One line per distinct failure, not one every two seconds.
            const message = (error as Error).message;
            if (message !== this.lastError) this.options.logger.error({ retryInMs: this.options.intervalMs }, `caBundle check failed: ${message}`);
            this.lastError = message;
          })
          .finally(() => {
            if (!this.stopped) tick();
          });
      }, this.options.intervalMs);
      this.timer.unref();
    };
    tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
