// Builds the TLS_MODE=self certificate source from its settings: client configuration, store, rule, loop.
import { loadKubeConfig } from '../../common/kubernetes-client.js';
import type { Logger } from '../../common/logger.js';
import { systemClock } from '../../common/time.js';
import type { PemPair } from '../certificates.js';
import type { SelfTlsConfig } from './config.js';
import { KubernetesSelfTlsStore } from './kubernetes-store.js';
import { SelfManagedTls } from './self-managed-tls.js';
import { CA_BUNDLE_GUARD_INTERVAL_MS, CaBundleGuard } from './ca-bundle-guard.js';

/** Well inside the check interval, and short enough that a silent API server shows up in the logs quickly. */
const REQUEST_TIMEOUT_MS = 10_000;

export interface SelfManagedTlsParts {
  readonly tls: SelfManagedTls;
  /** Restores the caBundle within seconds when something else (a GitOps sync) removed it. */
  readonly guard: CaBundleGuard;
}

export function createSelfManagedTls(config: SelfTlsConfig, logger: Logger, onChange: (pair: PemPair) => void): SelfManagedTlsParts {
  const store = new KubernetesSelfTlsStore(loadKubeConfig({ kubeconfig: config.kubeconfig }), {
    namespace: config.namespace,
    secretName: config.secretName,
    webhookConfigurationName: config.webhookConfigurationName,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
  });
  const tls = new SelfManagedTls({
    store,
    hosts: config.hosts,
    // A new CA is trusted for one check interval before certificates it signed are served: by then every API
    // server has long seen the new caBundle.
    policy: { leafValidityMs: config.leafValidityMs, caValidityMs: config.caValidityMs, caPublishGraceMs: config.checkIntervalMs },
    checkIntervalMs: config.checkIntervalMs,
    clock: systemClock,
    logger,
    onChange,
  });
  const guard = new CaBundleGuard({ store, bundle: () => tls.currentCaBundle(), intervalMs: CA_BUNDLE_GUARD_INTERVAL_MS, logger });
  return { tls, guard };
}
