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
import { apiStatusOf, createApiConfiguration, METADATA_ONLY_LIST_ACCEPT, isRetryableApiFailure, kubernetesError, toKubernetesError } from '../common/kubernetes-client.js';
import { configError } from '../common/config.js';
import {
  DOCKER_CONFIG_JSON_KEY,
  DOCKER_CONFIG_JSON_TYPE,
  ENABLED_NAMESPACE_SELECTOR,
  MANAGED_LABEL,
  MANAGED_LABEL_VALUE,
  MANAGED_SELECTOR,
  MARKED_FOR_UPDATE_AT_ANNOTATION,
  NAMESPACE_LABEL,
  NAMESPACE_LABEL_VALUE,
  OPAQUE_TYPE,
} from '../common/names.js';
import { formatRfc3339 } from '../common/time.js';
import type { SecretEvent } from './events.js';
import { OTHER_SECRET_TYPE, type ManagedSecretInfo } from './plan.js';
import { pullFailuresOf, type PodPullFailure } from './pull-failures.js';
import { imagePullSecretsWith, type LocalObjectReference } from '../common/image-pull-secrets.js';
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

/** Where to look: every namespace (undefined), one, or exactly these (namespaced mode: Roles only, no cluster list). */
export type NamespaceScope = string | readonly string[] | undefined;

export interface EnabledNamespacesScope {
  /** One namespace, checked with a cluster-wide list narrowed by name. */
  readonly namespace?: string | undefined;
  /** Namespaced mode: each namespace read on its own (a Role in it may grant `get` on the Namespace itself). */
  readonly namespaces?: readonly string[] | undefined;
  readonly extraSelector?: string | undefined;
}

/** What the refresher needs from the cluster; run.ts and status.ts depend on this, not on the client. */
export interface RefresherCluster {
  /** Every Secret labeled managed, in the scope's namespaces or across all of them, page by page, metadata only. */
  listManagedSecrets(scope: NamespaceScope): Promise<ManagedSecretInfo[]>;
  /** Names of the namespaces labeled enabled (and matching `extraSelector`) within the scope. */
  listEnabledNamespaces(scope: EnabledNamespacesScope): Promise<Set<string>>;
  /** Bumps marked_for_update_at; the webhook refills the Secret in the same request. Returns the stored object. */
  markForUpdate(secret: SecretRef, at: Date): Promise<ManagedSecretInfo>;
  /** Creates an empty managed Secret for the webhook to fill, unless one of that name exists. */
  createManagedSecret(secret: SecretRef): Promise<CreateSecretResult>;
  /** ServiceAccounts of that name, in the scope's namespaces or across all of them, page by page. */
  listServiceAccounts(name: string, scope: NamespaceScope): Promise<ServiceAccountInfo[]>;
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

/** Only what we keep of a Secret: its data never leaves this function. `type` overrides for metadata-only lists. */
export function toManagedSecretInfo(secret: V1Secret, type: string | undefined = secret.type): ManagedSecretInfo {
  return {
    namespace: secret.metadata?.namespace ?? '',
    name: secret.metadata?.name ?? '',
    uid: secret.metadata?.uid,
    resourceVersion: secret.metadata?.resourceVersion,
    type,
    annotations: { ...(secret.metadata?.annotations ?? {}) },
    labels: { ...(secret.metadata?.labels ?? {}) },
    immutable: secret.immutable === true,
  };
}

/**
 * A metadata-only list carries no type, so managed Secrets are listed three times by a type field selector: pull
 * Secrets (to refresh), Opaque ones (Argo CD repository Secrets, told apart by their labels, are refreshed; the rest
 * are skipped) and all others (to report as skipped).
 */
const TYPE_LISTS = [
  { fieldSelector: `type=${DOCKER_CONFIG_JSON_TYPE}`, type: DOCKER_CONFIG_JSON_TYPE },
  { fieldSelector: `type=${OPAQUE_TYPE}`, type: OPAQUE_TYPE },
  { fieldSelector: `type!=${DOCKER_CONFIG_JSON_TYPE},type!=${OPAQUE_TYPE}`, type: OTHER_SECRET_TYPE },
] as const;

function namespacesOf(scope: NamespaceScope): readonly string[] | undefined {
  return typeof scope === 'string' ? [scope] : scope;
}

/** Equality-only label selector (`a=b,c=d`, what the chart's extraNamespaceLabels renders), matched locally. */
export function matchesEqualitySelector(labels: Readonly<Record<string, string>>, selector: string | undefined): boolean {
  if (selector === undefined || selector.trim() === '') return true;
  return selector.split(',').every((term) => {
    const [key, value, extra] = term.split('=').map((part) => part.trim());
    if (key === undefined || value === undefined || extra !== undefined || !/^[\w./-]+$/.test(key)) {
      throw configError(`namespaced mode matches only key=value selectors (REFRESH_NAMESPACE_SELECTOR), not "${term.trim()}"`);
    }
    return labels[key] === value;
  });
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

  async listManagedSecrets(scope: NamespaceScope): Promise<ManagedSecretInfo[]> {
    const limit = this.options.pageSize;
    // Metadata only: the refresher never receives Secret data (less memory, less API server work, nothing secret here).
    const metadataOnly = setHeaderOptions('Accept', METADATA_ONLY_LIST_ACCEPT);
    const keep =
      (type: string) =>
      (list: { items: V1Secret[]; metadata?: { _continue?: string } }): { items: ManagedSecretInfo[]; metadata?: { _continue?: string } } => ({
        // An empty PartialObjectMetadataList comes with `items: null`.
        items: (list.items ?? []).map((secret) => toManagedSecretInfo(secret, type)),
        metadata: list.metadata,
      });
    const namespaces = namespacesOf(scope);
    const lists = TYPE_LISTS.flatMap(({ fieldSelector, type }) =>
      namespaces === undefined
        ? [
            this.listAll('managed Secrets', async (cont) =>
              keep(type)(await this.api.listSecretForAllNamespaces({ labelSelector: MANAGED_SELECTOR, fieldSelector, limit, _continue: cont }, metadataOnly)),
            ),
          ]
        : namespaces.map((namespace) =>
            this.listAll(`managed Secrets in ${namespace}`, async (cont) =>
              keep(type)(await this.api.listNamespacedSecret({ namespace, labelSelector: MANAGED_SELECTOR, fieldSelector, limit, _continue: cont }, metadataOnly)),
            ),
          ),
    );
    // Every list is awaited to the end, so a failed listing leaves no request behind.
    const settled = await Promise.allSettled(lists);
    const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
  }

  /** Pending Pods with a container waiting on a failed pull (`status` matches them to managed Secrets), page by page. */
  async listPodPullFailures(namespace: string | undefined): Promise<PodPullFailure[]> {
    const fieldSelector = 'status.phase=Pending';
    const limit = this.options.pageSize;
    const pods = await this.listAll(namespace === undefined ? 'Pods' : `Pods in ${namespace}`, (cont) =>
      namespace === undefined
        ? this.api.listPodForAllNamespaces({ fieldSelector, limit, _continue: cont })
        : this.api.listNamespacedPod({ namespace, fieldSelector, limit, _continue: cont }),
    );
    return pods.flatMap(pullFailuresOf);
  }

  async listEnabledNamespaces(scope: EnabledNamespacesScope): Promise<Set<string>> {
    if (scope.namespaces !== undefined) return this.readEnabledNamespaces(scope.namespaces, scope.extraSelector);
    const labelSelector = scope.extraSelector ? `${ENABLED_NAMESPACE_SELECTOR},${scope.extraSelector}` : ENABLED_NAMESPACE_SELECTOR;
    const fieldSelector = scope.namespace === undefined ? undefined : `metadata.name=${scope.namespace}`;
    const namespaces = await this.listAll('enabled namespaces', (cont) =>
      this.api.listNamespace({ labelSelector, fieldSelector, limit: this.options.pageSize, _continue: cont }),
    );
    return new Set(namespaces.map((namespace) => namespace.metadata?.name ?? '').filter((name) => name !== ''));
  }

  /** Namespaced mode: `get` of each Namespace (a Role in it can grant that), labels matched here. */
  private async readEnabledNamespaces(names: readonly string[], extraSelector: string | undefined): Promise<Set<string>> {
    const enabled = new Set<string>();
    for (const name of names) {
      let labels: Record<string, string>;
      try {
        labels = (await this.request('get', `get Namespace ${name}`, () => this.api.readNamespace({ name }))).metadata?.labels ?? {};
      } catch (error) {
        if (apiStatusOf(error) === 404) continue;
        throw error;
      }
      if (labels[NAMESPACE_LABEL] === NAMESPACE_LABEL_VALUE && matchesEqualitySelector(labels, extraSelector)) enabled.add(name);
    }
    return enabled;
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

  async listServiceAccounts(name: string, scope: NamespaceScope): Promise<ServiceAccountInfo[]> {
    const fieldSelector = `metadata.name=${name}`;
    const limit = this.options.pageSize;
    const namespaces = namespacesOf(scope);
    const accounts =
      namespaces === undefined
        ? await this.listAll(`ServiceAccounts named ${name}`, (cont) => this.api.listServiceAccountForAllNamespaces({ fieldSelector, limit, _continue: cont }))
        : (
            await Promise.all(
              namespaces.map((namespace) =>
                this.listAll(`ServiceAccount ${namespace}/${name}`, (cont) => this.api.listNamespacedServiceAccount({ namespace, fieldSelector, limit, _continue: cont })),
              ),
            )
          ).flat();
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
