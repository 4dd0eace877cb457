// The Kubernetes side of TLS_MODE=self, and the only self-tls module that imports the client. It uses exactly the
// four permissions the chart grants: get/update of one Secret, get/patch of one MutatingWebhookConfiguration.
// Every API failure keeps its ECR_ANYWHERE_KUBERNETES_* code and HTTP status, with a message that names the object
// and what to do (for 403, the missing permission).
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Secret,
} from '@kubernetes/client-node';
import { EcrAnywhereError, ErrorCodes } from '../../common/errors.js';
import { apiStatusOf, createApiConfiguration, kubernetesError, toKubernetesError } from '../../common/kubernetes-client.js';
import { SERVICE_ACCOUNT_WEBHOOK_NAME, WEBHOOK_NAME } from '../../common/names.js';
import { decodeTlsSecretData, encodeTlsSecretData, type TlsSecretContents } from './secret-contents.js';
import { normalizeBundle } from './decision.js';

/** The Secret as read: our contents, plus what an optimistic-concurrency update needs. */
export interface TlsSecretSnapshot {
  readonly contents: TlsSecretContents;
  readonly resourceVersion: string | undefined;
  /** The object itself, kept only to write it back with its other keys, labels and type unchanged. */
  readonly object: V1Secret;
}

/** What the loop needs from the cluster; tests of the loop use the real implementation below. */
export interface SelfTlsStore {
  /** The Secret, e.g. `ecr-system/ecr-anywhere-tls`, for log lines. */
  readonly secretRef: string;
  readonly webhookConfigurationRef: string;
  readSecret(): Promise<TlsSecretSnapshot>;
  /** Writes `contents` if the Secret is still the one read; 'conflict' when another writer came first. */
  writeSecret(read: TlsSecretSnapshot, contents: TlsSecretContents): Promise<'written' | 'conflict'>;
  /** Makes the webhook entry's caBundle equal `bundle`; 'unchanged' when it already was. */
  publishCaBundle(bundle: string): Promise<'patched' | 'unchanged'>;
}

export interface KubernetesSelfTlsStoreOptions {
  readonly namespace: string;
  readonly secretName: string;
  readonly webhookConfigurationName: string;
  readonly requestTimeoutMs: number;
}

/** The entries of the configuration this webhook serves, each needing the caBundle. */
const OUR_WEBHOOK_NAMES: ReadonlySet<string> = new Set([WEBHOOK_NAME, SERVICE_ACCOUNT_WEBHOOK_NAME]);

const JSON_PATCH = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

interface Access {
  readonly verb: 'get' | 'update' | 'patch';
  readonly resource: 'secrets' | 'mutatingwebhookconfigurations';
  readonly object: string;
  readonly rbac: string;
}

export class KubernetesSelfTlsStore implements SelfTlsStore {
  readonly secretRef: string;
  readonly webhookConfigurationRef: string;
  private readonly core: CoreV1Api;
  private readonly admission: AdmissionregistrationV1Api;

  constructor(
    kubeConfig: KubeConfig,
    private readonly options: KubernetesSelfTlsStoreOptions,
  ) {
    const { configuration } = createApiConfiguration(kubeConfig, { requestTimeoutMs: options.requestTimeoutMs, keepAlive: false });
    this.core = new CoreV1Api(configuration);
    this.admission = new AdmissionregistrationV1Api(configuration);
    this.secretRef = `${options.namespace}/${options.secretName}`;
    this.webhookConfigurationRef = options.webhookConfigurationName;
  }

  async readSecret(): Promise<TlsSecretSnapshot> {
    const object = await this.call(this.secretAccess('get'), () =>
      this.core.readNamespacedSecret({ name: this.options.secretName, namespace: this.options.namespace }),
    );
    return { contents: decodeTlsSecretData(object.data), resourceVersion: object.metadata?.resourceVersion, object };
  }

  async writeSecret(read: TlsSecretSnapshot, contents: TlsSecretContents): Promise<'written' | 'conflict'> {
    // The resourceVersion read makes this an optimistic-concurrency write: if another replica wrote in between,
    // the API server answers 409 and nothing is overwritten.
    const body: V1Secret = {
      ...read.object,
      // managedFields left out: the server keeps its own bookkeeping instead of taking ours back.
      metadata: { ...read.object.metadata, resourceVersion: read.resourceVersion, managedFields: undefined },
      data: encodeTlsSecretData(contents, read.object.data),
    };
    try {
      await this.call(this.secretAccess('update'), () =>
        this.core.replaceNamespacedSecret({ name: this.options.secretName, namespace: this.options.namespace, body }),
      );
      return 'written';
    } catch (error) {
      if (apiStatusOf(error) === 409) return 'conflict';
      throw error;
    }
  }

  async publishCaBundle(bundle: string): Promise<'patched' | 'unchanged'> {
    const name = this.options.webhookConfigurationName;
    const wanted = normalizeBundle(bundle);
    const encoded = Buffer.from(wanted, 'utf8').toString('base64');
    // Indices are found by name, and a `test` operation per entry makes the patch fail rather than touch another
    // webhook if the list changed in between (e.g. a helm upgrade): then it is read again. Every entry of ours is
    // served by this process (the ServiceAccount one too, when the chart adds it), so each gets the same bundle.
    for (let attempt = 1; ; attempt += 1) {
      const configuration = await this.call(this.webhookAccess('get'), () => this.admission.readMutatingWebhookConfiguration({ name }));
      const webhooks = configuration.webhooks ?? [];
      if (!webhooks.some((webhook) => webhook.name === WEBHOOK_NAME)) {
        throw new EcrAnywhereError(
          ErrorCodes.TLS_SELF_MANAGED,
          `MutatingWebhookConfiguration ${name} has no webhook named ${WEBHOOK_NAME}: check WEBHOOK_CONFIGURATION_NAME (the chart's object keeps that entry)`,
        );
      }
      const stale = webhooks.flatMap((webhook, index) => {
        if (!OUR_WEBHOOK_NAMES.has(webhook.name)) return [];
        const current = webhook.clientConfig.caBundle;
        const upToDate = current !== undefined && normalizeBundle(Buffer.from(current, 'base64').toString('utf8')) === wanted;
        return upToDate ? [] : [{ index, name: webhook.name }];
      });
      if (stale.length === 0) return 'unchanged';
      const patch = stale.flatMap(({ index, name: webhookName }) => [
        { op: 'test', path: `/webhooks/${index}/name`, value: webhookName },
        { op: 'add', path: `/webhooks/${index}/clientConfig/caBundle`, value: encoded },
      ]);
      try {
        await this.call(this.webhookAccess('patch'), () => this.admission.patchMutatingWebhookConfiguration({ name, body: patch }, JSON_PATCH));
        return 'patched';
      } catch (error) {
        const status = apiStatusOf(error);
        const indexMoved = status === 422 || status === 409 || status === 500;
        if (!indexMoved || attempt >= 3) throw error;
      }
    }
  }

  private secretAccess(verb: 'get' | 'update'): Access {
    return {
      verb,
      resource: 'secrets',
      object: `Secret ${this.secretRef}`,
      rbac: `a Role in namespace ${this.options.namespace} allowing "${verb}" on secrets with resourceNames ["${this.options.secretName}"]`,
    };
  }

  private webhookAccess(verb: 'get' | 'patch'): Access {
    return {
      verb,
      resource: 'mutatingwebhookconfigurations',
      object: `MutatingWebhookConfiguration ${this.options.webhookConfigurationName}`,
      rbac: `a ClusterRole allowing "${verb}" on admissionregistration.k8s.io mutatingwebhookconfigurations with resourceNames ["${this.options.webhookConfigurationName}"]`,
    };
  }

  private async call<T>(access: Access, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw this.explain(access, error);
    }
  }

  private explain(access: Access, error: unknown): EcrAnywhereError {
    const action = `${access.verb} ${access.object}`;
    if ((error as { name?: unknown }).name === 'AbortError') {
      return kubernetesError(0, `cannot ${action}: no answer from the API server within ${this.options.requestTimeoutMs / 1000}s`);
    }
    const mapped = toKubernetesError(error, `cannot ${action}`);
    const status = mapped.apiStatus ?? 0;
    switch (status) {
      case 401:
        return kubernetesError(status, `${mapped.message} — the API server did not accept the webhook's credentials (service account token or kubeconfig)`);
      case 403:
        return kubernetesError(status, `${mapped.message} — missing RBAC permission: the webhook's identity needs ${access.rbac}`);
      case 404:
        return kubernetesError(
          status,
          access.resource === 'secrets'
            ? `${mapped.message} — the Secret must exist (the Helm chart creates it empty); check TLS_SECRET_NAME and POD_NAMESPACE`
            : `${mapped.message} — check WEBHOOK_CONFIGURATION_NAME (the Helm chart creates the object)`,
        );
      default:
        return mapped;
    }
  }
}
