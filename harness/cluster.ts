// The real-cluster harness for e2e tests: brings up (or reuses) the loopback kube-apiserver from
// scripts/cluster-up.sh, and offers the few fixtures tests need — labeled namespaces, Secrets, users without rights,
// and a MutatingWebhookConfiguration pointing at a webhook process on this host.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type V1MutatingWebhookConfiguration,
  type V1Secret,
} from '@kubernetes/client-node';
import { EXPIRES_AT_ANNOTATION, MANAGED_LABEL, MANAGED_LABEL_VALUE, NAMESPACE_LABEL, NAMESPACE_LABEL_VALUE, WEBHOOK_NAME, WEBHOOK_PATH } from '../src/common/names.js';
import { createApiConfiguration } from '../src/common/kubernetes-client.js';
import { mapBounded } from '../src/common/pool.js';
import { createSelfSignedServing } from '../src/tls/certificates.js';
import { standInAwsEnv } from './aws-env.js';
import { issueClientCertificate } from './client-certificates.js';
import { only, renderChart } from './helm.js';
import type { EcrStandIn } from './ecr-stand-in.js';
import { REPO_ROOT } from './tools.js';
import { startWebhookProcess, type WebhookProcess } from './webhook-process.js';

const run = promisify(execFile);

export interface ClusterInfo {
  readonly kubeconfig: string;
  readonly server: string;
  readonly caFile: string;
  readonly caKeyFile: string;
  readonly serviceCIDR: string;
  readonly controllerManager: boolean;
  /** CA of the client certificate the API server presents to every webhook (its AdmissionConfiguration). */
  readonly webhookClientCaFile: string;
  readonly webhookClientCaKeyFile: string;
  /** Subject CN of that certificate. */
  readonly webhookClientName: string;
}

export interface TestCluster {
  readonly info: ClusterInfo;
  /** Admin (system:masters) client configuration. */
  readonly kubeConfig: KubeConfig;
  readonly core: CoreV1Api;
  readonly admission: AdmissionregistrationV1Api;
  readonly rbac: RbacAuthorizationV1Api;
}

let shared: Promise<TestCluster> | undefined;

/** Starts the harness cluster unless it is already up (cluster-up.sh is idempotent), once per test process. */
export function ensureCluster(): Promise<TestCluster> {
  shared ??= (async () => {
    try {
      await run('bash', [join(REPO_ROOT, 'scripts', 'cluster-up.sh')], { cwd: REPO_ROOT, timeout: 240_000 });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(`scripts/cluster-up.sh failed (run 'npm run tools' first if kube-apiserver is missing):\n${stdout ?? ''}${stderr ?? ''}`);
    }
    const info = JSON.parse(await readFile(join(REPO_ROOT, '.cluster', 'cluster.json'), 'utf8')) as ClusterInfo;
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(info.kubeconfig);
    // Like makeApiClient, but reusing connections (see keep-alive-auth.ts): fixtures of 1 000 Secrets go 2x faster.
    const { configuration } = createApiConfiguration(kubeConfig, { requestTimeoutMs: 60_000 });
    return {
      info,
      kubeConfig,
      core: new CoreV1Api(configuration),
      admission: new AdmissionregistrationV1Api(configuration),
      rbac: new RbacAuthorizationV1Api(configuration),
    };
  })();
  return shared;
}

/** A DNS-label-safe name unique to this run, e.g. `rf-a-1f3c9b`. */
export function uniqueName(prefix: string): string {
  // 48 random bits: a test that creates thousands of names (the CA rotation makes ~1 800) must not meet a birthday
  // collision, which 24 bits gave about one run in ten.
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

/** Labels that opt a namespace in, plus any extra ones (tests add a run label to keep to their own namespaces). */
export function enabledNamespaceLabels(extra: Record<string, string> = {}): Record<string, string> {
  return { [NAMESPACE_LABEL]: NAMESPACE_LABEL_VALUE, ...extra };
}

export async function createNamespace(cluster: TestCluster, name: string, labels: Record<string, string>): Promise<void> {
  await cluster.core.createNamespace({ body: { metadata: { name, labels } } });
}

/** Adds (or changes) labels on an existing namespace with a merge patch. */
export async function labelNamespace(cluster: TestCluster, name: string, labels: Record<string, string>): Promise<void> {
  await cluster.core.patchNamespace({ name, body: { metadata: { labels } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
}

/** Starts deleting namespaces and returns without waiting for them to go (the namespace controller finishes). */
export async function deleteNamespaces(cluster: TestCluster, names: readonly string[]): Promise<void> {
  await Promise.allSettled(names.map((name) => cluster.core.deleteNamespace({ name })));
}

export interface SecretFixture {
  readonly namespace: string;
  readonly name: string;
  readonly annotations?: Record<string, string>;
  /** Default kubernetes.io/dockerconfigjson with an empty auths object. */
  readonly type?: string;
  readonly labels?: Record<string, string>;
  /** The Secret's data as stored (base64 values); default: an empty dockerconfigjson (or a token for other types). */
  readonly data?: Record<string, string>;
}

/** A Secret labeled managed unless `labels` says otherwise. */
export function secretBody(fixture: SecretFixture): V1Secret {
  const type = fixture.type ?? 'kubernetes.io/dockerconfigjson';
  return {
    metadata: {
      name: fixture.name,
      namespace: fixture.namespace,
      labels: fixture.labels ?? { [MANAGED_LABEL]: MANAGED_LABEL_VALUE },
      ...(fixture.annotations ? { annotations: fixture.annotations } : {}),
    },
    type,
    data:
      fixture.data ??
      (type === 'kubernetes.io/dockerconfigjson'
        ? { '.dockerconfigjson': Buffer.from('{"auths":{}}').toString('base64') }
        : { token: Buffer.from('not-a-registry-credential').toString('base64') }),
  };
}

export async function createSecret(cluster: TestCluster, fixture: SecretFixture): Promise<V1Secret> {
  return cluster.core.createNamespacedSecret({ namespace: fixture.namespace, body: secretBody(fixture) });
}

/** Names `<prefix>-0` … `<prefix>-<count-1>`: known before anything is created, so cleanup can always find them. */
export function numberedNames(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix}-${index}`);
}

/**
 * Many enabled namespaces with managed Secrets, for scale tests and benchmarks: `perNamespace` Secrets named
 * `creds-<n>` in each namespace; `annotationsFor(n)` decides each Secret's annotations.
 */
export async function populateNamespaces(
  cluster: TestCluster,
  options: {
    readonly namespaces: readonly string[];
    readonly perNamespace: number;
    readonly labels: Record<string, string>;
    readonly annotationsFor: (index: number) => Record<string, string> | undefined;
    /** Each Secret's data; default: an empty dockerconfigjson. */
    readonly dataFor?: (index: number) => Record<string, string> | undefined;
    readonly concurrency?: number;
  },
): Promise<void> {
  const concurrency = options.concurrency ?? 16;
  await mapBounded(options.namespaces, concurrency, (name) => createNamespace(cluster, name, enabledNamespaceLabels(options.labels)));
  const fixtures = options.namespaces.flatMap((namespace) =>
    Array.from({ length: options.perNamespace }, (_, index) => {
      const data = options.dataFor?.(index);
      return { namespace, name: `creds-${index}`, annotations: options.annotationsFor(index), ...(data ? { data } : {}) };
    }),
  );
  await mapBounded(fixtures, concurrency, (fixture) => createSecret(cluster, fixture));
}

/** Every managed Secret in the cluster, counted page by page (to know how many list pages a full listing takes). */
export async function countManagedSecrets(cluster: TestCluster): Promise<number> {
  let count = 0;
  let cont: string | undefined;
  do {
    const page = await cluster.core.listSecretForAllNamespaces({ labelSelector: `${MANAGED_LABEL}=${MANAGED_LABEL_VALUE}`, limit: 500, _continue: cont });
    count += page.items.length;
    cont = page.metadata?._continue || undefined;
  } while (cont !== undefined);
  return count;
}

export interface WebhookRegistration {
  /** A unique MutatingWebhookConfiguration name per test. */
  readonly name: string;
  /** `https://127.0.0.1:PORT` of a webhook process on this host; the path is the product's /sync. */
  readonly url: string;
  /** PEM of the CA that signed the webhook's serving certificate. */
  readonly caBundle: string;
  /** Extra namespace labels the webhook requires besides the enabled label, to stay inside a test's namespaces. */
  readonly namespaceLabels?: Record<string, string>;
  /** Registers the chart's ServiceAccount entry too (serviceAccounts.inject), adding this pull Secret. */
  readonly serviceAccountPullSecret?: string;
}

/**
 * The chart's own MutatingWebhookConfiguration (rules, selectors, failure policy, timeouts — rendered by helm), aimed
 * at a host process by URL: a Service cannot route to this machine's processes. Only the name and clientConfig differ
 * from what `helm install` creates.
 */
export async function webhookConfiguration(registration: WebhookRegistration): Promise<V1MutatingWebhookConfiguration> {
  const values = {
    aws: { region: 'us-east-1' },
    // The chart demands a caBundle with webhook.url; an empty one (a test that fills it later) is dropped below.
    tls: { mode: 'manual', manual: { secretName: 'host-webhook-tls', caBundle: registration.caBundle || 'dW5zZXQ=' } },
    webhook: { url: `${registration.url}${WEBHOOK_PATH}` },
    extraNamespaceLabels: registration.namespaceLabels ?? {},
    ...(registration.serviceAccountPullSecret === undefined
      ? {}
      : { serviceAccounts: { inject: { enabled: true, secretName: registration.serviceAccountPullSecret } } }),
  };
  const rendered = only(await renderChart(values), 'MutatingWebhookConfiguration') as unknown as V1MutatingWebhookConfiguration;
  rendered.metadata = { name: registration.name };
  if (registration.caBundle === '') for (const webhook of rendered.webhooks ?? []) delete webhook.clientConfig.caBundle;
  return rendered;
}

/**
 * Registers the webhook and waits until the API server calls it (a dry-run create in `probeNamespace` comes back
 * mutated). Returns the function that removes the registration.
 */
export async function registerWebhook(
  cluster: TestCluster,
  registration: WebhookRegistration & {
    readonly probeNamespace: string;
    /** 'refused': the webhook is expected to refuse (e.g. ECR refuses), so a refusal by it proves it is called. */
    readonly probe?: 'mutated' | 'refused';
  },
): Promise<() => Promise<void>> {
  await cluster.admission.createMutatingWebhookConfiguration({ body: await webhookConfiguration(registration) });
  const unregister = async (): Promise<void> => {
    await cluster.admission.deleteMutatingWebhookConfiguration({ name: registration.name }).catch(() => undefined);
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    const probe = await cluster.core
      .createNamespacedSecret({ namespace: registration.probeNamespace, body: secretBody({ namespace: registration.probeNamespace, name: uniqueName('probe') }), dryRun: 'All' })
      .catch((error: unknown) => ({ error }));
    if (!('error' in probe) && probe.metadata?.annotations?.[EXPIRES_AT_ANNOTATION] !== undefined) return unregister;
    const body = 'error' in probe ? (probe.error as { body?: unknown }).body : undefined;
    const refusal = typeof body === 'string' ? body : '';
    if (registration.probe === 'refused' && refusal.includes(WEBHOOK_NAME) && refusal.includes('denied the request')) return unregister;
    if (Date.now() > deadline) {
      await unregister();
      const detail = 'error' in probe ? String((probe.error as { body?: unknown }).body ?? probe.error) : 'the probe Secret came back unmutated';
      throw new Error(`webhook ${registration.name} at ${registration.url} was not called within 20 s: ${detail.slice(0, 500)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Writes a kubeconfig for the harness cluster authenticating as `user` with a client certificate from the cluster CA. */
export async function kubeconfigForUser(cluster: TestCluster, user: string, groups: readonly string[] = []): Promise<string> {
  const caPem = await readFile(cluster.info.caFile, 'utf8');
  const client = issueClientCertificate({ certPem: caPem, keyPem: await readFile(cluster.info.caKeyFile, 'utf8') }, { commonName: user, groups });
  return writeKubeconfig(cluster.info.server, caPem, user, {
    'client-certificate-data': Buffer.from(client.certPem).toString('base64'),
    'client-key-data': Buffer.from(client.keyPem).toString('base64'),
  });
}

/** A kubeconfig whose server is a loopback port nothing listens on. */
export async function kubeconfigForUnreachableServer(cluster: TestCluster): Promise<string> {
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address() as AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
  return kubeconfigForServer(cluster, `https://127.0.0.1:${port}`);
}

/** A kubeconfig trusting the harness CA but pointing at `server` (e.g. a socket that never answers). */
export async function kubeconfigForServer(cluster: TestCluster, server: string): Promise<string> {
  return writeKubeconfig(server, await readFile(cluster.info.caFile, 'utf8'), 'nobody', { token: 'unused' });
}

/** A kubeconfig for the harness cluster that authenticates with `token`, as a pod with that ServiceAccount does. */
export async function kubeconfigForServiceAccount(cluster: TestCluster, namespace: string, serviceAccount: string): Promise<string> {
  const request = await cluster.core.createNamespacedServiceAccountToken({ namespace, name: serviceAccount, body: { spec: { audiences: [], expirationSeconds: 3_600 } } });
  const token = request.status?.token;
  if (!token) throw new Error(`no token issued for ServiceAccount ${namespace}/${serviceAccount}`);
  return writeKubeconfig(cluster.info.server, await readFile(cluster.info.caFile, 'utf8'), `${namespace}:${serviceAccount}`, { token });
}

async function writeKubeconfig(server: string, caPem: string, user: string, credentials: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ecr-anywhere-kubeconfig-'));
  const file = join(dir, 'kubeconfig');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'harness', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: user, user: credentials }],
    contexts: [{ name: 'harness', context: { cluster: 'harness', user } }],
    'current-context': 'harness',
  };
  await writeFile(file, JSON.stringify(config), { mode: 0o600 });
  return file;
}

/** The webhook settings that admit only the harness API server (the client certificate cluster-up.sh makes). */
export function clientAuthEnv(info: ClusterInfo): Record<string, string> {
  if (!info.webhookClientCaFile) throw new Error('.cluster/cluster.json names no webhookClientCaFile: restart the cluster (npm run cluster:down) so cluster-up.sh makes one');
  return { CLIENT_CA_FILE: info.webhookClientCaFile, CLIENT_ALLOWED_NAMES: info.webhookClientName };
}

export interface ClusterWebhook {
  readonly process: WebhookProcess;
  /** PEM of the CA that signed the webhook's serving certificate (for clients other than the API server). */
  readonly caPem: string;
  /** Removes the registration and stops the process. */
  stop(): Promise<void>;
}

/**
 * The real `ecr-anywhere webhook` as a host process (TLS with a fresh CA, the real AWS SDK reaching `standIn`; by
 * default answering only the API server's client certificate), registered with the harness API server for namespaces
 * carrying `namespaceLabels` besides the enabled label. `probeNamespace` must be such a namespace: registration
 * waits until the API server really calls the webhook.
 */
export async function startClusterWebhook(
  cluster: TestCluster,
  options: {
    readonly standIn: EcrStandIn;
    readonly probeNamespace: string;
    readonly namespaceLabels?: Record<string, string>;
    readonly env?: Record<string, string>;
    readonly probe?: 'mutated' | 'refused';
    /** Require the API server's client certificate (CLIENT_CA_FILE, CLIENT_ALLOWED_NAMES); default true. */
    readonly clientAuth?: boolean;
    /** Serve and register the ServiceAccount entry (SERVICE_ACCOUNT_PULL_SECRET + the chart's serviceAccounts.inject). */
    readonly serviceAccountPullSecret?: string;
  },
): Promise<ClusterWebhook> {
  const serving = createSelfSignedServing({ hosts: ['127.0.0.1', 'localhost'], now: new Date(), validityDays: 2 });
  const dir = await mkdtemp(join(tmpdir(), 'ecr-anywhere-webhook-tls-'));
  await writeFile(join(dir, 'tls.crt'), serving.certPem);
  await writeFile(join(dir, 'tls.key'), serving.keyPem, { mode: 0o600 });
  const process = await startWebhookProcess({
    ...standInAwsEnv(options.standIn.url),
    CERT_FILE: join(dir, 'tls.crt'),
    KEY_FILE: join(dir, 'tls.key'),
    LOG_LEVEL: 'info',
    // The namespace watch reads the harness cluster, as the webhook in a pod reads its own.
    KUBECONFIG: cluster.info.kubeconfig,
    NAMESPACE_WATCH: 'on',
    ...(options.clientAuth === false ? {} : clientAuthEnv(cluster.info)),
    ...(options.serviceAccountPullSecret === undefined ? {} : { SERVICE_ACCOUNT_PULL_SECRET: options.serviceAccountPullSecret }),
    ...options.env,
  });
  let unregister: () => Promise<void>;
  try {
    unregister = await registerWebhook(cluster, {
      name: uniqueName('ecr-anywhere-e2e'),
      url: `https://127.0.0.1:${process.port}`,
      caBundle: serving.caPem,
      namespaceLabels: options.namespaceLabels,
      ...(options.serviceAccountPullSecret === undefined ? {} : { serviceAccountPullSecret: options.serviceAccountPullSecret }),
      probeNamespace: options.probeNamespace,
      probe: options.probe ?? 'mutated',
    });
  } catch (error) {
    await process.stop();
    throw error;
  }
  return {
    process,
    caPem: serving.caPem,
    stop: async () => {
      await unregister();
      // SIGTERM drains the webhook, but a connection the API server keeps alive can hold that for the 30 s keep-alive
      // timeout (SERVER_LIMITS); a test waits at most 10 s, then kills the process.
      const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000).unref());
      if ((await Promise.race([process.stop(), timer])) === 'timeout') {
        process.child.kill('SIGKILL');
        await process.exited;
      }
    },
  };
}
