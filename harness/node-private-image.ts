// One private "ECR" image on the real node, as the node proofs set it up: an ECR stand-in for one account, a registry
// accepting `registryPassword` that holds the test image at `repositoryTag`, containerd's mirror for the account's
// host, an enabled namespace, and the webhook (a host process in the namespace) scoped to it.
import { createNamespace, deleteNamespaces, enabledNamespaceLabels, startClusterWebhook, type ClusterWebhook } from './cluster.js';
import { startEcrStandIn, type EcrStandIn } from './ecr-stand-in.js';
import { mirrorEcrHost, pushImage, removeMirror, type NodeCluster } from './node.js';
import { startLocalRegistry, type LocalRegistry } from './registry.js';

export interface PrivateImage {
  readonly host: string;
  /** `<host>/<repositoryTag>`. */
  readonly image: string;
  readonly standIn: EcrStandIn;
  /** The registry as started; setRegistryPassword returns the same registry with its new password. */
  readonly registry: LocalRegistry;
  readonly webhook: ClusterWebhook;
  stop(): Promise<void>;
}

export async function startPrivateImage(
  cluster: NodeCluster,
  options: {
    readonly accountId: string;
    readonly repositoryTag: string;
    readonly registryPassword: string;
    readonly passwordFor: (region: string, sequence: number) => string;
    /** The enabled namespace to create; the webhook acts only in namespaces carrying `namespaceLabels` too. */
    readonly namespace: string;
    readonly namespaceLabels: Record<string, string>;
    readonly tokenLifetimeMs?: number;
    /** The refresher's REFRESH_THRESHOLD, given to the webhook too, as the chart does. */
    readonly refreshThreshold?: string;
  },
): Promise<PrivateImage> {
  const host = `${options.accountId}.dkr.ecr.us-east-1.amazonaws.com`;
  const standIn = await startEcrStandIn({ accountId: options.accountId, passwordFor: options.passwordFor });
  if (options.tokenLifetimeMs !== undefined) standIn.tokenLifetimeMs = options.tokenLifetimeMs;
  const registry = await startLocalRegistry(options.registryPassword);
  await pushImage(registry, cluster.node.images.test, options.repositoryTag);
  await mirrorEcrHost(cluster.node, host, registry);
  await createNamespace(cluster, options.namespace, enabledNamespaceLabels(options.namespaceLabels));
  const webhook = await startClusterWebhook(cluster, { standIn, probeNamespace: options.namespace, namespaceLabels: options.namespaceLabels,
    ...(options.refreshThreshold === undefined ? {} : { env: { REFRESH_THRESHOLD: options.refreshThreshold } }),
  });
  return {
    host,
    image: `${host}/${options.repositoryTag}`,
    standIn,
    registry,
    webhook,
    stop: async () => {
      await webhook.stop();
      await deleteNamespaces(cluster, [options.namespace]);
      await removeMirror(cluster.node, host);
      await registry.stop();
      await standIn.close();
    },
  };
}
