// migrate's Kubernetes adapter, the only migrate module that imports the client. Secrets are reduced to SecretInfo
// page by page as they arrive: their credentials are never kept, logged or printed. Failures are our coded
// ECR_ANYWHERE_KUBERNETES_* errors carrying the API server's own message (forbidden, conflict, ...).
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { createApiConfiguration, kubernetesError, toKubernetesError } from '../common/kubernetes-client.js';
import { DOCKER_CONFIG_JSON_KEY } from '../common/names.js';
import { authRegistriesOf } from './auth-registries.js';
import type { NamespaceInfo, SecretInfo } from './inventory.js';
import type { namespaceEnablePatch, SecretPatch } from './plan.js';
import type { MigrationCluster, SecretRef } from './run.js';
import type { SecretListScope } from './scope.js';

export const MIGRATE_FIELD_MANAGER = 'ecr-anywhere-migrate';
const PAGE_SIZE = 500;
/** Bounds every listing: 2 000 pages of 500 is a million objects. */
const MAX_PAGES = 2_000;

type Page<T> = { items: T[]; metadata?: { _continue?: string } };

function toSecretInfo(secret: V1Secret): SecretInfo {
  return {
    namespace: secret.metadata?.namespace ?? '',
    name: secret.metadata?.name ?? '',
    type: secret.type ?? 'Opaque',
    labels: { ...(secret.metadata?.labels ?? {}) },
    annotations: { ...(secret.metadata?.annotations ?? {}) },
    immutable: secret.immutable === true,
    resourceVersion: secret.metadata?.resourceVersion,
    authRegistries: authRegistriesOf(secret.data?.[DOCKER_CONFIG_JSON_KEY]),
  };
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class KubernetesMigrationCluster implements MigrationCluster {
  private readonly api: CoreV1Api;
  private readonly releaseConnections: () => void;

  constructor(kubeConfig: KubeConfig, private readonly options: { readonly requestTimeoutMs: number }) {
    const api = createApiConfiguration(kubeConfig, { requestTimeoutMs: options.requestTimeoutMs });
    this.api = new CoreV1Api(api.configuration);
    this.releaseConnections = (): void => api.close();
  }

  close(): void {
    this.releaseConnections();
  }

  private async call<T>(action: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if ((error as { name?: unknown }).name === 'AbortError') {
        throw kubernetesError(0, `${action}: no answer from the API server within ${this.options.requestTimeoutMs / 1000}s`);
      }
      throw toKubernetesError(error, action);
    }
  }

  private async listAll<T, R>(action: string, page: (cont: string | undefined) => Promise<Page<T>>, keep: (item: T) => R): Promise<R[]> {
    const kept: R[] = [];
    let cont: string | undefined;
    for (let pages = 0; pages < MAX_PAGES; pages += 1) {
      const result = await this.call(action, () => page(cont));
      kept.push(...(result.items ?? []).map(keep));
      cont = result.metadata?._continue || undefined;
      if (cont === undefined) return kept;
    }
    throw kubernetesError(500, `${action}: more than ${MAX_PAGES} pages of ${PAGE_SIZE}`);
  }

  listNamespaces(): Promise<NamespaceInfo[]> {
    return this.listAll(
      'list namespaces',
      (cont) => this.api.listNamespace({ limit: PAGE_SIZE, _continue: cont }),
      (namespace) => ({ name: namespace.metadata?.name ?? '', labels: { ...(namespace.metadata?.labels ?? {}) } }),
    );
  }

  async listSecrets(scope: SecretListScope): Promise<SecretInfo[]> {
    const fieldSelector = scope.name === undefined ? undefined : `metadata.name=${scope.name}`;
    if (scope.namespaces === undefined) {
      return this.listAll('list Secrets', (cont) => this.api.listSecretForAllNamespaces({ fieldSelector, limit: PAGE_SIZE, _continue: cont }), toSecretInfo);
    }
    const lists: SecretInfo[][] = [];
    for (const namespace of scope.namespaces) {
      lists.push(
        await this.listAll(`list Secrets in ${namespace}`, (cont) => this.api.listNamespacedSecret({ namespace, fieldSelector, limit: PAGE_SIZE, _continue: cont }), toSecretInfo),
      );
    }
    return lists.flat();
  }

  async patchNamespace(name: string, patch: ReturnType<typeof namespaceEnablePatch>): Promise<void> {
    await this.call(`label Namespace ${name} enabled`, () => this.api.patchNamespace({ name, body: patch, fieldManager: MIGRATE_FIELD_MANAGER }, mergePatch));
  }

  async patchSecret(secret: SecretRef, patch: SecretPatch): Promise<Readonly<Record<string, string>>> {
    const stored = await this.call(`patch Secret ${secret.namespace}/${secret.name}`, () =>
      this.api.patchNamespacedSecret({ name: secret.name, namespace: secret.namespace, body: patch, fieldManager: MIGRATE_FIELD_MANAGER }, mergePatch),
    );
    return { ...(stored.metadata?.annotations ?? {}) };
  }
}
