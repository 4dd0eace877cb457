// What the chart e2e tests share: a release namespace and an enabled apps namespace on the harness cluster, the
// ECR stand-in, the user's part of an install (static keys in a Secret, values naming it), the real webhook started
// with exactly the environment the chart's Deployment declares, authenticated as the chart's ServiceAccount and
// listening on the chart Service's ClusterIP (the harness hands out loopback ClusterIPs), and a labeled Secret
// admitted through the API server.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toKubernetesError } from '../src/common/kubernetes-client.js';
import { EXPIRES_AT_ANNOTATION } from '../src/common/names.js';
import type { V1Secret } from '@kubernetes/client-node';
import { standInAwsEnv } from './aws-env.js';
import { createNamespace, createSecret, deleteNamespaces, enabledNamespaceLabels, ensureCluster, kubeconfigForUser, uniqueName, type TestCluster } from './cluster.js';
import { startEcrStandIn, type EcrStandIn } from './ecr-stand-in.js';
import { at, clusterTools, kubeletEnv, only, podTemplate, type ClusterTools, type KubeObject } from './helm.js';
import { until } from './poll.js';
import { startWebhookProcess, type WebhookProcess } from './webhook-process.js';

export interface ChartTestbed {
  readonly cluster: TestCluster;
  readonly tools: ClusterTools;
  readonly standIn: EcrStandIn;
  /** The release namespace. */
  readonly namespace: string;
  /** An enabled namespace inside the release's extraNamespaceLabels scope. */
  readonly apps: string;
  readonly release: string;
  /** The user's values: region, static keys from the `aws-keys` Secret, standard SDK variables aimed at the stand-in. */
  readonly values: Record<string, unknown>;
  /** Starts the webhook as the chart's Deployment and Service (from `objects`) declare it. */
  startWebhook(objects: readonly KubeObject[], extraEnv?: Record<string, string>): Promise<WebhookProcess>;
  /** Creates labeled Secrets in `apps` until one comes back filled; on timeout the error names the last refusal. */
  admitLabeledSecret(timeoutMs: number): Promise<V1Secret>;
  close(): Promise<void>;
}

export async function startChartTestbed(prefix: string): Promise<ChartTestbed> {
  const cluster = await ensureCluster();
  const tools = await clusterTools(cluster.info.kubeconfig);
  const standIn = await startEcrStandIn();
  const namespace = uniqueName(prefix);
  const apps = uniqueName(`${prefix}-apps`);
  const release = uniqueName(prefix.slice(0, 3));
  const scope = { [`e2e.ecr-anywhere/${prefix}`]: release };
  await createNamespace(cluster, namespace, {});
  await createNamespace(cluster, apps, enabledNamespaceLabels(scope));
  const keys = standInAwsEnv(standIn.url);
  await cluster.core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'aws-keys' }, stringData: { AWS_ACCESS_KEY_ID: keys.AWS_ACCESS_KEY_ID!, AWS_SECRET_ACCESS_KEY: keys.AWS_SECRET_ACCESS_KEY! } },
  });
  const values = {
    aws: {
      region: 'us-east-1',
      existingSecret: { name: 'aws-keys' },
      // Standard SDK variables: reach the stand-in instead of AWS, and read no file or instance metadata.
      env: ['AWS_ENDPOINT_URL_ECR', 'AWS_EC2_METADATA_DISABLED', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE'].map((name) => ({ name, value: keys[name] })),
    },
    extraNamespaceLabels: scope,
  };
  const webhooks: WebhookProcess[] = [];
  return {
    cluster,
    tools,
    standIn,
    namespace,
    apps,
    release,
    values,
    startWebhook: async (objects, extraEnv = {}) => {
      const deployment = only(objects, 'Deployment');
      const service = await cluster.core.readNamespacedService({ name: only(objects, 'Service').metadata.name, namespace });
      const clusterIp = service.spec?.clusterIP ?? '';
      if (!clusterIp.startsWith('127.')) throw new Error(`the harness should hand out loopback ClusterIPs, got "${clusterIp}"`);
      // What the kubelet would give the container: plain values, downward API, Secret references.
      const env = await kubeletEnv(deployment, namespace, async (name) => (await cluster.core.readNamespacedSecret({ name, namespace })).data);
      // The client CA bundle volume (webhook.clientAuth), as the kubelet would mount it: the ConfigMap as a file.
      const caVolume = podTemplate(deployment).spec.volumes?.find((volume) => volume.name === 'client-ca');
      if (caVolume !== undefined) {
        const caMap = await cluster.core.readNamespacedConfigMap({ name: at<string>(caVolume, 'configMap', 'name'), namespace });
        const caDir = await mkdtemp(join(tmpdir(), 'ecr-anywhere-client-ca-'));
        if (env.CLIENT_CA_FILE !== '/client-ca/ca.crt') throw new Error(`CLIENT_CA_FILE is ${env.CLIENT_CA_FILE}, not the mounted /client-ca/ca.crt`);
        await writeFile(join(caDir, 'ca.crt'), caMap.data?.['ca.crt'] ?? '');
        env.CLIENT_CA_FILE = join(caDir, 'ca.crt');
      }
      const account = at<string>(podTemplate(deployment).spec, 'serviceAccountName');
      env.KUBECONFIG = await kubeconfigForUser(cluster, `system:serviceaccount:${namespace}:${account}`, ['system:serviceaccounts', `system:serviceaccounts:${namespace}`]);
      const webhook = await startWebhookProcess({ ...env, ...extraEnv }, ['--host', clusterIp, '--port', String(at<number>(service.spec, 'ports', 0, 'port'))]);
      webhooks.push(webhook);
      return webhook;
    },
    admitLabeledSecret: async (timeoutMs) => {
      let lastRefusal = '';
      return until('a labeled Secret admitted with credentials', timeoutMs, async () => {
        const created = await createSecret(cluster, { namespace: apps, name: uniqueName('pull') }).catch((error: unknown) => {
          lastRefusal = toKubernetesError(error, 'create a labeled Secret').message;
          return undefined;
        });
        return created?.metadata?.annotations?.[EXPIRES_AT_ANNOTATION] ? created : undefined;
      }, 100).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}; last refusal: ${lastRefusal}`);
      });
    },
    close: async () => {
      for (const webhook of webhooks) await webhook.stop();
      await deleteNamespaces(cluster, [namespace, apps]);
      await standIn.close();
      await tools.close();
    },
  };
}
