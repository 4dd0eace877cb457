// The webhook's view of Namespaces: a metadata-only list + watch (PartialObjectMetadata: names, labels, annotations —
// no spec or status), each Namespace read into its standing (tenant-policy.ts) as it changes. The webhook answers
// from this cache, never from what a review claims, and is not ready until the first list has arrived. Needs only
// list and watch on namespaces.
import { CoreV1Api, ListWatch, Watch, setHeaderOptions, type KubeConfig, type V1Namespace } from '@kubernetes/client-node';
import { createApiConfiguration, METADATA_ONLY_LIST_ACCEPT, METADATA_ONLY_WATCH_ACCEPT, toKubernetesError } from '../common/kubernetes-client.js';
import type { Logger } from '../common/logger.js';
import { namespaceStanding, type NamespaceStanding, type TenancyDefaults } from '../admission/tenant-policy.js';

const NAMESPACES_PATH = '/api/v1/namespaces';
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 5_000;

export interface NamespaceWatch {
  /** The namespace's standing; `unknown` for a name the watch has not seen (or before the first list). */
  standing(namespace: string): NamespaceStanding;
  /** True once the first full list has been read. */
  synced(): boolean;
  stop(): Promise<void>;
}

/**
 * The client's Watch builds its own request from the kubeconfig's fetch options; this view of the kubeconfig adds the
 * metadata-only Accept header to them, so watch events carry PartialObjectMetadata too.
 */
function metadataOnlyConfig(kubeConfig: KubeConfig): KubeConfig {
  const view = Object.create(kubeConfig) as KubeConfig;
  view.applyToFetchOptions = (options) =>
    kubeConfig.applyToFetchOptions({ ...options, headers: { ...(options.headers as Record<string, string> | undefined), Accept: METADATA_ONLY_WATCH_ACCEPT } });
  return view;
}

export function startNamespaceWatch(options: {
  readonly kubeConfig: KubeConfig;
  readonly defaults: TenancyDefaults;
  readonly logger: Logger;
  readonly requestTimeoutMs?: number;
}): NamespaceWatch {
  const { logger, defaults } = options;
  const api = createApiConfiguration(options.kubeConfig, { requestTimeoutMs: options.requestTimeoutMs ?? 30_000 });
  const core = new CoreV1Api(api.configuration);
  const standings = new Map<string, NamespaceStanding>();
  let listed = false;
  let stopped = false;
  let retryMs = RETRY_MIN_MS;
  let retryTimer: NodeJS.Timeout | undefined;

  const list = async (): Promise<{ items: V1Namespace[]; metadata?: { resourceVersion?: string } }> => {
    try {
      const result = await core.listNamespace({}, setHeaderOptions('Accept', METADATA_ONLY_LIST_ACCEPT));
      listed = true;
      retryMs = RETRY_MIN_MS;
      logger.info({ namespaces: result.items?.length ?? 0 }, 'namespace watch synced');
      // An empty PartialObjectMetadataList comes with `items: null`.
      return { ...result, items: result.items ?? [] };
    } catch (error) {
      throw toKubernetesError(error, 'list namespaces (metadata only)');
    }
  };
  const informer = new ListWatch<V1Namespace>(NAMESPACES_PATH, new Watch(metadataOnlyConfig(options.kubeConfig)), list, false);

  const remember = (namespace: V1Namespace): void => {
    const name = namespace.metadata?.name;
    if (!name) return;
    standings.set(name, namespaceStanding({ name, labels: namespace.metadata?.labels, annotations: namespace.metadata?.annotations }, defaults));
  };
  informer.on('add', remember);
  informer.on('update', remember);
  informer.on('delete', (namespace) => {
    if (namespace.metadata?.name) standings.delete(namespace.metadata.name);
  });
  // The informer stops on an error; start it again with a capped backoff (it resumes from its resourceVersion, or
  // lists afresh when that has expired). The cache keeps answering meanwhile.
  informer.on('error', (error: unknown) => {
    if (stopped) return;
    const message = error instanceof Error ? error.message : String(error);
    logger.warn({ error: message.slice(0, 300), retryInMs: retryMs }, 'namespace watch failed; retrying');
    retryTimer = setTimeout(() => void informer.start(), retryMs);
    retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
  });
  // A watch the server ends at once (done without error) is restarted by the informer itself, at once: count such
  // reconnects and back off instead of hammering the API server.
  let lastConnect = 0;
  let quickReconnects = 0;
  informer.on('connect', () => {
    const now = Date.now();
    quickReconnects = now - lastConnect < 1_000 ? quickReconnects + 1 : 0;
    lastConnect = now;
    if (quickReconnects < 5 || stopped) return;
    quickReconnects = 0;
    logger.warn({ retryInMs: retryMs }, 'namespace watch keeps ending at once; backing off');
    void informer.stop();
    retryTimer = setTimeout(() => void informer.start(), retryMs);
    retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
  });
  void informer.start();

  return {
    standing: (namespace) => standings.get(namespace) ?? { state: 'unknown' },
    synced: () => listed,
    stop: async () => {
      stopped = true;
      clearTimeout(retryTimer);
      await informer.stop();
      api.close();
    },
  };
}
