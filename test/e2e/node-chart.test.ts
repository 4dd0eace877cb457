// On the real node, the chart for real: `helm install` with the image buildah built from the Dockerfile, pulled by
// the kubelet from the "ECR" registry; both webhook replicas Running and Ready under Pod Security "restricted" with a
// read-only root filesystem; self-managed TLS patches the caBundle; the API server calls the webhook through its
// Service; the refresher CronJob's Jobs run `ecr-anywhere refresh` in-cluster and succeed, and fail once the webhook
// is scaled to 0 — the signal users alert on.
import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { BatchV1Api, AppsV1Api } from '@kubernetes/client-node';
import { EXPIRES_AT_ANNOTATION, MANAGED_LABEL, MANAGED_LABEL_VALUE } from '../../src/common/names.js';
import { createNamespace, deleteNamespaces, enabledNamespaceLabels, uniqueName } from '../../harness/cluster.js';
import { standInAwsEnv } from '../../harness/aws-env.js';
import { startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';
import { apiWarnings, CHART_DIR, clusterTools, RESTRICTED_NAMESPACE_LABELS, withValuesFile, type ClusterTools } from '../../harness/helm.js';
import { ensureNodeCluster, isRunning, mirrorEcrHost, nodeUnavailable, pushImage, removeMirror, waitForPod, type NodeCluster } from '../../harness/node.js';
import { startLocalRegistry, type LocalRegistry } from '../../harness/registry.js';

const ECR_HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const IMAGE_REPOSITORY = 'ecr-anywhere';
const IMAGE_TAG = 'node';
const TEST_REPOSITORY_TAG = 'private/app:v1';
// Tokens live 11 h 15 s and the refresher's threshold is 10 h 59 m 45 s: a filled Secret turns stale 30 s later, so
// the one-minute CronJob soon has something to refresh (and to fail on once the webhook is gone).
const TOKEN_LIFETIME_MS = 11 * 3_600_000 + 15_000;
const REFRESH_THRESHOLD = '10h59m45s';

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

const jobSucceeded = (job: V1Job): boolean => (job.status?.succeeded ?? 0) > 0;
const jobFailed = (job: V1Job): boolean => (job.status?.conditions ?? []).some((c) => c.type === 'Failed' && c.status === 'True');

describe('the chart on a real node', { skip: nodeUnavailable(), timeout: 600_000 }, () => {
  const token = `ecr-token-${randomBytes(24).toString('base64url')}`;
  const release = uniqueName('eca');
  const releaseNamespace = uniqueName('eca-system');
  const appNamespace = uniqueName('eca-app');
  const runLabel = { 'e2e.ecr-anywhere/chart': release };
  const deploymentName = `${release}-ecr-anywhere-webhook`;
  const cronJobName = `${release}-ecr-anywhere-refresher`;
  let cluster: NodeCluster;
  let standIn: EcrStandIn;
  let registry: LocalRegistry;
  let tools: ClusterTools;
  let apps: AppsV1Api;
  let batch: BatchV1Api;

  const webhookPods = async (): Promise<V1Pod[]> =>
    (await cluster.core.listNamespacedPod({ namespace: releaseNamespace, labelSelector: 'app.kubernetes.io/component=webhook' })).items;
  const jobs = async (): Promise<V1Job[]> => (await batch.listNamespacedJob({ namespace: releaseNamespace })).items.filter((job) => job.metadata?.ownerReferences?.[0]?.name === cronJobName);
  const jobSummary = async (): Promise<string> =>
    (await jobs()).map((job) => `${job.metadata?.name}: succeeded ${job.status?.succeeded ?? 0}, failed ${job.status?.failed ?? 0}`).join('; ') || 'none';
  const expiryOf = async (name: string): Promise<string | undefined> =>
    (await cluster.core.readNamespacedSecret({ namespace: appNamespace, name })).metadata?.annotations?.[EXPIRES_AT_ANNOTATION];

  before(async () => {
    cluster = await ensureNodeCluster();
    apps = cluster.kubeConfig.makeApiClient(AppsV1Api);
    batch = cluster.kubeConfig.makeApiClient(BatchV1Api);
    // The webhook Pods reach the stand-in on the bridge address; the kubelet reaches the registry through the mirror.
    standIn = await startEcrStandIn({ host: cluster.node.podGateway, passwordFor: () => token });
    standIn.tokenLifetimeMs = TOKEN_LIFETIME_MS;
    registry = await startLocalRegistry(token);
    await pushImage(registry, cluster.node.images.project, `${IMAGE_REPOSITORY}:${IMAGE_TAG}`);
    await pushImage(registry, cluster.node.images.test, TEST_REPOSITORY_TAG);
    await mirrorEcrHost(cluster.node, ECR_HOST, registry);
    tools = await clusterTools(cluster.info.kubeconfig);
    await createNamespace(cluster, releaseNamespace, { ...RESTRICTED_NAMESPACE_LABELS });
    // The chart's own image is private too: a plain pull Secret for it (the webhook never acts in its own namespace).
    await cluster.core.createNamespacedSecret({
      namespace: releaseNamespace,
      body: {
        metadata: { name: 'ecr-anywhere-image' },
        type: 'kubernetes.io/dockerconfigjson',
        stringData: { '.dockerconfigjson': JSON.stringify({ auths: { [ECR_HOST]: { username: 'AWS', password: token, auth: Buffer.from(`AWS:${token}`).toString('base64') } } }) },
      },
    });
  });

  after(async () => {
    if (tools) {
      await tools.helm(['uninstall', release, '--namespace', releaseNamespace, '--wait', '--timeout', '60s']).catch(() => undefined);
      await tools.close();
    }
    if (cluster) {
      await deleteNamespaces(cluster, [releaseNamespace, appNamespace]);
      await removeMirror(cluster.node, ECR_HOST);
    }
    await registry?.stop();
    await standIn?.close();
  });

  it('installs with the built image: both webhook replicas Running and Ready under PSS restricted, read-only root', async () => {
    const env = Object.entries(standInAwsEnv(standIn.url)).filter(([name]) => name !== 'AWS_REGION').map(([name, value]) => ({ name, value }));
    const values = {
      aws: { region: 'us-east-1', env },
      image: { repository: `${ECR_HOST}/${IMAGE_REPOSITORY}`, tag: IMAGE_TAG, pullPolicy: 'Always' },
      imagePullSecrets: [{ name: 'ecr-anywhere-image' }],
      extraNamespaceLabels: runLabel,
      refresher: { schedule: '* * * * *', threshold: REFRESH_THRESHOLD, backoffLimit: 0 },
    };
    const installed = await withValuesFile(values, (file) => tools.helm(['install', release, CHART_DIR, '--namespace', releaseNamespace, '--values', file]));
    assert.equal(installed.code, 0, installed.stderr);
    assert.deepEqual(apiWarnings(installed.stderr), [], 'the API server warned (Pod Security?)');

    await until('2 webhook replicas Ready', 180_000, async () => {
      const deployment = await apps.readNamespacedDeployment({ name: deploymentName, namespace: releaseNamespace });
      return deployment.status?.readyReplicas === 2 ? deployment : undefined;
    });
    const pods = await webhookPods();
    assert.equal(pods.length, 2);
    for (const pod of pods) {
      assert.equal(pod.spec?.nodeName, cluster.node.name);
      assert.equal(pod.status?.containerStatuses?.[0]?.ready, true);
      assert.equal(pod.spec?.containers[0]?.securityContext?.readOnlyRootFilesystem, true);
      assert.equal(pod.status?.containerStatuses?.[0]?.image, `${ECR_HOST}/${IMAGE_REPOSITORY}:${IMAGE_TAG}`);
    }
  });

  it('self-managed TLS has patched the caBundle with the CA the webhook serves with', async () => {
    const configuration = await until('a caBundle', 60_000, async () => {
      const live = await cluster.admission.readMutatingWebhookConfiguration({ name: deploymentName });
      return live.webhooks?.[0]?.clientConfig.caBundle ? live : undefined;
    });
    const pem = Buffer.from(configuration.webhooks?.[0]?.clientConfig.caBundle ?? '', 'base64').toString('utf8');
    const ca = new X509Certificate(pem);
    assert.ok(ca.ca, 'the caBundle is not a CA certificate');
    assert.equal(configuration.webhooks?.[0]?.clientConfig.service?.name, deploymentName);
  });

  it('the API server calls the webhook through its Service, and a Pod pulls with the Secret it filled', async () => {
    await createNamespace(cluster, appNamespace, enabledNamespaceLabels(runLabel));
    const created = await until('the webhook to answer through its Service', 60_000, () =>
      cluster.core
        .createNamespacedSecret({
          namespace: appNamespace,
          body: { metadata: { name: 'pull', labels: { [MANAGED_LABEL]: MANAGED_LABEL_VALUE } }, type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': '{"auths":{}}' } },
        })
        .catch(() => undefined),
    );
    assert.ok(created.metadata?.annotations?.[EXPIRES_AT_ANNOTATION], 'the Secret was stored without the webhook');
    const config = JSON.parse(Buffer.from(created.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8')) as { auths: Record<string, { password?: string }> };
    assert.equal(config.auths[ECR_HOST]?.password, token);

    await cluster.core.createNamespacedPod({
      namespace: appNamespace,
      body: { metadata: { name: 'app' }, spec: { containers: [{ name: 'app', image: `${ECR_HOST}/${TEST_REPOSITORY_TAG}`, imagePullPolicy: 'Always' }], imagePullSecrets: [{ name: 'pull' }] } },
    });
    await waitForPod(cluster, appNamespace, 'app', isRunning, 'Running');
  });

  it('the refresher CronJob runs `ecr-anywhere refresh` in-cluster: its Jobs succeed and refresh the stale Secret', async () => {
    const before = await expiryOf('pull');
    await until('a refresher Job that refreshed the Secret', 240_000, async () => {
      const refreshed = (await expiryOf('pull')) !== before;
      return refreshed && (await jobs()).some(jobSucceeded) ? true : undefined;
    }).catch(async (error: Error) => {
      throw new Error(`${error.message}; expiry ${before} -> ${await expiryOf('pull')}; jobs: ${await jobSummary()}`);
    });
    const done = (await jobs()).find(jobSucceeded);
    const container = done?.spec?.template.spec?.containers[0];
    assert.ok(container?.args?.includes('refresh'), `the Job does not run refresh: ${JSON.stringify(container?.args)}`);
    assert.equal(container?.securityContext?.readOnlyRootFilesystem, true);
  });

  it('with the webhook scaled to 0, the next refresher Job fails', async () => {
    const scaled = await tools.kubectl(['scale', 'deployment', deploymentName, '--namespace', releaseNamespace, '--replicas', '0']);
    assert.equal(scaled.code, 0, scaled.stderr);
    await until('the webhook Pods to be gone', 90_000, async () => ((await webhookPods()).length === 0 ? true : undefined));
    const scaledAt = Date.now();
    const failed = await until('a refresher Job started after the scale-down to fail', 240_000, async () =>
      (await jobs()).find((job) => new Date(job.metadata?.creationTimestamp ?? 0).getTime() >= scaledAt - 1_000 && jobFailed(job)),
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}; jobs: ${await jobSummary()}`);
    });
    assert.ok(failed.metadata?.name);
  });
});
