// The refresher's Kubernetes adapter: the only refresher module that imports the client. Every request has a time
// budget, is retried on conflicts, throttling, server errors and unreachable servers, is counted, and fails as an
// ECR_ANYWHERE_KUBERNETES_* error whose message is the API server's own Status message (never a response body).
import {
  ApiException,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Secret,
} from '@kubernetes/client-node';
import type { EcrAnywhereError } from '../common/errors.js';
import { apiStatusOf, createApiConfiguration, isRetryableApiFailure, kubernetesError, toKubernetesError } from '../common/kubernetes-client.js';
import {
  DOCKER_CONFIG_JSON_KEY,
  DOCKER_CONFIG_JSON_TYPE,
  ENABLED_NAMESPACE_SELECTOR,
  MANAGED_LABEL,
  MANAGED_LABEL_VALUE,
  MANAGED_SELECTOR,
  MARKED_FOR_UPDATE_AT_ANNOTATION,
} from '../common/names.js';
import { formatRfc3339 } from '../common/time.js';
import type { SecretEvent } from './events.js';
import type { ManagedSecretInfo } from './plan.js';
import { imagePullSecretsWith, type LocalObjectReference } from './provision-plan.js';
import { withRetry, type RetryPolicy, type Sleep } from './retry.js';

export const FIELD_MANAGER = 'ecr-anywhere-refresher';

export type ApiCallKind = 'list' | 'get' | 'patch' | 'create' | 'event';
export type ApiCallCounts = Record<ApiCallKind, number>;

export interface SecretRef {
  readonly namespace: string;
  readonly name: string;
}

export type CreateSecretResult = { readonly created: ManagedSecretInfo } | { readonly exists: true };
export type ImagePullSecretResult = 'added' | 'present' | 'no-service-account';

export interface ServiceAccountInfo {
  readonly namespace: string;
  readonly name: string;
  readonly resourceVersion: string | undefined;
  readonly imagePullSecrets: readonly LocalObjectReference[];
}

/** What the refresher needs from the cluster; run.ts and status.ts depend on this, not on the client. */
export interface RefresherCluster {
  /** Every Secret labeled managed, in one namespace or across all of them, page by page. */
  listManagedSecrets(namespace: string | undefined): Promise<ManagedSecretInfo[]>;
  /** Names of the namespaces labeled enabled (and matching `extraSelector`), or just `namespace` if it is. */
  listEnabledNamespaces(scope: { readonly namespace?: string | undefined; readonly extraSelector?: string | undefined }): Promise<Set<string>>;
  /** Bumps marked_for_update_at; the webhook refills the Secret in the same request. Returns the stored object. */
  markForUpdate(secret: SecretRef, at: Date): Promise<ManagedSecretInfo>;
  /** Creates an empty managed Secret for the webhook to fill, unless one of that name exists. */
  createManagedSecret(secret: SecretRef): Promise<CreateSecretResult>;
  /** ServiceAccounts of that name, in one namespace or across all of them, page by page. */
  listServiceAccounts(name: string, namespace: string | undefined): Promise<ServiceAccountInfo[]>;
  /** Appends the Secret to a ServiceAccount's imagePullSecrets, keeping every existing entry. */
  addImagePullSecret(account: ServiceAccountInfo, secretName: string): Promise<ImagePullSecretResult>;
  recordEvent(event: SecretEvent): Promise<void>;
  apiCalls(): ApiCallCounts;
}

export interface KubernetesAdapterOptions {
  readonly pageSize: number;
  readonly requestTimeoutMs: number;
  readonly retry: RetryPolicy;
  readonly sleep?: Sleep;
}

/** Only what we keep of a Secret: its data never leaves this function. */
export function toManagedSecretInfo(secret: V1Secret): ManagedSecretInfo {
  return {
    namespace: secret.metadata?.namespace ?? '',
    name: secret.metadata?.name ?? '',
    uid: secret.metadata?.uid,
    resourceVersion: secret.metadata?.resourceVersion,
    type: secret.type,
    annotations: { ...(secret.metadata?.annotations ?? {}) },
    immutable: secret.immutable === true,
  };
}

function statusReason(error: unknown): string | undefined {
  if (!(error instanceof ApiException) || typeof error.body !== 'string') return undefined;
  try {
    const reason = (JSON.parse(error.body) as { reason?: unknown }).reason;
    return typeof reason === 'string' ? reason : undefined;
  } catch {
    return undefined;
  }
}

export class KubernetesRefresherCluster implements RefresherCluster {
  private readonly api: CoreV1Api;
  private readonly releaseConnections: () => void;
  private readonly counts: ApiCallCounts = { list: 0, get: 0, patch: 0, create: 0, event: 0 };

  constructor(
    kubeConfig: KubeConfig,
    private readonly options: KubernetesAdapterOptions,
  ) {
    const api = createApiConfiguration(kubeConfig, { requestTimeoutMs: options.requestTimeoutMs });
    this.api = new CoreV1Api(api.configuration);
    this.releaseConnections = (): void => api.close();
  }

  /** Releases the kept-alive connections at the end of a run. */
  close(): void {
    this.releaseConnections();
  }

  apiCalls(): ApiCallCounts {
    return { ...this.counts };
  }

  /** One API operation: counted per attempt, retried when worth it, mapped to our coded error. */
  private async request<T>(kind: ApiCallKind, action: string, call: () => Promise<T>, options: { retryConflicts?: boolean } = {}): Promise<T> {
    return withRetry(
      async () => {
        this.counts[kind] += 1;
        try {
          return await call();
        } catch (error) {
          throw this.mapError(error, action);
        }
      },
      {
        policy: this.options.retry,
        sleep: this.options.sleep,
        isRetryable: (error) => isRetryableApiFailure(error) && (apiStatusOf(error) !== 409 || options.retryConflicts !== false),
      },
    );
  }

  private mapError(error: unknown, action: string): EcrAnywhereError {
    if ((error as { name?: unknown }).name === 'AbortError') {
      return kubernetesError(0, `${action}: no answer from the API server within ${this.options.requestTimeoutMs / 1000}s`);
    }
    return toKubernetesError(error, action);
  }

  private async listAll<T>(kind: string, page: (cont: string | undefined) => Promise<{ items: T[]; metadata?: { _continue?: string } }>): Promise<T[]> {
    const items: T[] = [];
    let cont: string | undefined;
    do {
      const result = await this.request('list', `list ${kind}`, () => page(cont));
      items.push(...result.items);
      cont = result.metadata?._continue || undefined;
    } while (cont !== undefined);
    return items;
  }

  async listManagedSecrets(namespace: string | undefined): Promise<ManagedSecretInfo[]> {
    const limit = this.options.pageSize;
    const secrets: ManagedSecretInfo[] = [];
    const keep = (list: { items: V1Secret[]; metadata?: { _continue?: string } }): { items: ManagedSecretInfo[]; metadata?: { _continue?: string } } => ({
      items: list.items.map(toManagedSecretInfo),
      metadata: list.metadata,
    });
    if (namespace === undefined) {
      secrets.push(
        ...(await this.listAll('managed Secrets', async (cont) =>
          keep(await this.api.listSecretForAllNamespaces({ labelSelector: MANAGED_SELECTOR, limit, _continue: cont })),
        )),
      );
    } else {
      secrets.push(
        ...(await this.listAll(`managed Secrets in ${namespace}`, async (cont) =>
          keep(await this.api.listNamespacedSecret({ namespace, labelSelector: MANAGED_SELECTOR, limit, _continue: cont })),
        )),
      );
    }
    return secrets;
  }

  async listEnabledNamespaces(scope: { readonly namespace?: string | undefined; readonly extraSelector?: string | undefined }): Promise<Set<string>> {
    const labelSelector = scope.extraSelector ? `${ENABLED_NAMESPACE_SELECTOR},${scope.extraSelector}` : ENABLED_NAMESPACE_SELECTOR;
    const fieldSelector = scope.namespace === undefined ? undefined : `metadata.name=${scope.namespace}`;
    const namespaces = await this.listAll('enabled namespaces', (cont) =>
      this.api.listNamespace({ labelSelector, fieldSelector, limit: this.options.pageSize, _continue: cont }),
    );
    return new Set(namespaces.map((namespace) => namespace.metadata?.name ?? '').filter((name) => name !== ''));
  }

  async markForUpdate(secret: SecretRef, at: Date): Promise<ManagedSecretInfo> {
    const body = { metadata: { annotations: { [MARKED_FOR_UPDATE_AT_ANNOTATION]: formatRfc3339(at) } } };
    const updated = await this.request('patch', `patch Secret ${secret.namespace}/${secret.name}`, () =>
      this.api.patchNamespacedSecret(
        { name: secret.name, namespace: secret.namespace, body, fieldManager: FIELD_MANAGER },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    return toManagedSecretInfo(updated);
  }

  async createManagedSecret(secret: SecretRef): Promise<CreateSecretResult> {
    const body: V1Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secret.name, namespace: secret.namespace, labels: { [MANAGED_LABEL]: MANAGED_LABEL_VALUE } },
      type: DOCKER_CONFIG_JSON_TYPE,
      // The API server requires valid JSON under this key; the webhook fills in the auths.
      data: { [DOCKER_CONFIG_JSON_KEY]: Buffer.from('{"auths":{}}').toString('base64') },
    };
    const created = await this.request('create', `create Secret ${secret.namespace}/${secret.name}`, async () => {
      try {
        return await this.api.createNamespacedSecret({ namespace: secret.namespace, body, fieldManager: FIELD_MANAGER });
      } catch (error) {
        if (statusReason(error) === 'AlreadyExists') return undefined;
        throw error;
      }
    });
    return created === undefined ? { exists: true } : { created: toManagedSecretInfo(created) };
  }

  async listServiceAccounts(name: string, namespace: string | undefined): Promise<ServiceAccountInfo[]> {
    const fieldSelector = `metadata.name=${name}`;
    const limit = this.options.pageSize;
    const accounts =
      namespace === undefined
        ? await this.listAll(`ServiceAccounts named ${name}`, (cont) => this.api.listServiceAccountForAllNamespaces({ fieldSelector, limit, _continue: cont }))
        : await this.listAll(`ServiceAccount ${namespace}/${name}`, (cont) => this.api.listNamespacedServiceAccount({ namespace, fieldSelector, limit, _continue: cont }));
    return accounts.map((account) => ({
      namespace: account.metadata?.namespace ?? '',
      name: account.metadata?.name ?? '',
      resourceVersion: account.metadata?.resourceVersion,
      imagePullSecrets: (account.imagePullSecrets ?? []).map((reference) => ({ ...reference })),
    }));
  }

  async addImagePullSecret(account: ServiceAccountInfo, secretName: string): Promise<ImagePullSecretResult> {
    const action = `add ${secretName} to the imagePullSecrets of ServiceAccount ${account.namespace}/${account.name}`;
    // Write with the resourceVersion we read: a concurrent change makes the write fail with 409, and the retry
    // starts again from a fresh read, so no entry anyone else added is ever dropped.
    let snapshot = account;
    return withRetry(
      async (attempt) => {
        if (attempt > 1) {
          try {
            const current = await this.request('get', action, () => this.api.readNamespacedServiceAccount({ name: account.name, namespace: account.namespace }));
            snapshot = { ...account, resourceVersion: current.metadata?.resourceVersion, imagePullSecrets: current.imagePullSecrets ?? [] };
          } catch (error) {
            if (apiStatusOf(error) === 404) return 'no-service-account';
            throw error;
          }
        }
        const imagePullSecrets = imagePullSecretsWith(snapshot.imagePullSecrets, secretName);
        if (imagePullSecrets === undefined) return 'present';
        const body = { metadata: { resourceVersion: snapshot.resourceVersion }, imagePullSecrets };
        try {
          await this.request(
            'patch',
            action,
            () =>
              this.api.patchNamespacedServiceAccount(
                { name: account.name, namespace: account.namespace, body, fieldManager: FIELD_MANAGER },
                setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
              ),
            { retryConflicts: false },
          );
        } catch (error) {
          if (apiStatusOf(error) === 404) return 'no-service-account';
          throw error;
        }
        return 'added';
      },
      { policy: this.options.retry, sleep: this.options.sleep, isRetryable: (error) => apiStatusOf(error) === 409 },
    );
  }

  async recordEvent(event: SecretEvent): Promise<void> {
    await this.request('event', `record Event on Secret ${event.involvedObject.namespace}/${event.involvedObject.name}`, () =>
      this.api.createNamespacedEvent({ namespace: event.metadata.namespace, body: event }),
    );
  }
}
