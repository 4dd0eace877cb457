// The installed chart and the real webhook together, with no manual TLS step: `helm install` (tls.mode=self,
// static keys from an existing Secret), then `ecr-anywhere webhook` started with exactly the environment the
// chart's Deployment declares (Secret and downward-API references resolved as the kubelet would), authenticated
// as the chart's webhook ServiceAccount, listening on the chart Service's ClusterIP:443 (the harness routes
// nothing, so the API server dials that loopback address itself). The webhook fills its TLS Secret and the caBundle
// with only the chart's RBAC, and the API server, calling through the chart's MutatingWebhookConfiguration, fills a
// labeled Secret.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { toKubernetesError } from '../../src/common/kubernetes-client.js';
import { EXPIRES_AT_ANNOTATION } from '../../src/common/names.js';
import { standInAwsEnv } from '../../harness/aws-env.js';
import {
  createNamespace,
  createSecret,
  deleteNamespaces,
  enabledNamespaceLabels,
  ensureCluster,
  kubeconfigForUser,
  uniqueName,
  type TestCluster,
} from '../../harness/cluster.js';
import { startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';
import { at, CHART_DIR, clusterTools, kubeletEnv, only, parseObjects, podTemplate, withValuesFile, type ClusterTools } from '../../harness/helm.js';
import { until } from '../../harness/poll.js';
import { startWebhookProcess, type WebhookProcess } from '../../harness/webhook-process.js';


describe('the chart with the real webhook (tls.mode=self)', { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  let tools: ClusterTools;
  let standIn: EcrStandIn;
  let webhook: WebhookProcess | undefined;
  const namespace = uniqueName('chart-webhook');
  const apps = uniqueName('chart-webhook-apps');
  const release = uniqueName('ecw');
  const scope = { 'e2e.ecr-anywhere/chart': release };

  before(async () => {
    cluster = await ensureCluster();
    tools = await clusterTools(cluster.info.kubeconfig);
    standIn = await startEcrStandIn();
    await createNamespace(cluster, namespace, {});
    await createNamespace(cluster, apps, enabledNamespaceLabels(scope));
  });

  after(async () => {
    await webhook?.stop();
    await tools.helm(['uninstall', release, '--namespace', namespace]);
    await deleteNamespaces(cluster, [namespace, apps]);
    await standIn.close();
    await tools.close();
  });

  it('works from helm install with only AWS settings given', async () => {
    // The user's part: a Secret with static keys, and the values naming it.
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
    const installed = await withValuesFile(values, (file) => tools.helm(['install', release, CHART_DIR, '--namespace', namespace, '--values', file]));
    assert.equal(installed.code, 0, installed.stderr);
    const manifest = parseObjects((await tools.helm(['get', 'manifest', release, '--namespace', namespace])).stdout);
    const deployment = only(manifest, 'Deployment');
    const service = await cluster.core.readNamespacedService({ name: only(manifest, 'Service').metadata.name, namespace });
    const clusterIp = service.spec?.clusterIP;
    assert.match(clusterIp ?? '', /^127\./, 'the harness hands out loopback ClusterIPs');

    // What the kubelet would give the container: plain values, downward API, Secret references.
    const env = await kubeletEnv(deployment, namespace, async (name) => (await cluster.core.readNamespacedSecret({ name, namespace })).data);
    const account = at<string>(podTemplate(deployment).spec, 'serviceAccountName');
    env.KUBECONFIG = await kubeconfigForUser(cluster, `system:serviceaccount:${namespace}:${account}`, ['system:serviceaccounts', `system:serviceaccounts:${namespace}`]);
    env.TLS_CHECK_INTERVAL = '2s';

    webhook = await startWebhookProcess(env, ['--host', clusterIp!, '--port', String(at<number>(service.spec, 'ports', 0, 'port'))]);

    const tlsSecret = env.TLS_SECRET_NAME!;
    const filled = await until('the webhook filling its TLS Secret', 30_000, async () => {
      const secret = await cluster.core.readNamespacedSecret({ name: tlsSecret, namespace });
      return Object.keys(secret.data ?? {}).length > 0 ? secret : undefined;
    });
    assert.ok(Object.keys(filled.data ?? {}).length >= 2, 'CA and serving certificate kept in the Secret');
    await until('the webhook patching the caBundle', 30_000, async () => {
      const configuration = await cluster.admission.readMutatingWebhookConfiguration({ name: env.WEBHOOK_CONFIGURATION_NAME! });
      return configuration.webhooks?.[0]?.clientConfig.caBundle ? true : undefined;
    });

    // The API server calls the webhook through the chart's configuration and Service, trusting the patched caBundle.
    let lastRefusal = '';
    const secret = await until('a labeled Secret admitted with credentials', 30_000, async () => {
      const created = await createSecret(cluster, { namespace: apps, name: uniqueName('pull') }).catch((error: unknown) => {
        lastRefusal = toKubernetesError(error, 'create a labeled Secret').message;
        return undefined;
      });
      return created?.metadata?.annotations?.[EXPIRES_AT_ANNOTATION] ? created : undefined;
    }).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; last refusal: ${lastRefusal}`);
    });
    const config = JSON.parse(Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8')) as { auths: Record<string, { password?: string }> };
    const [entry] = Object.values(config.auths);
    assert.equal(entry?.password, standIn.issued.at(-1), 'the Secret holds the token the stand-in issued');
    assert.equal(standIn.calls.at(-1)?.accessKeyId, keys.AWS_ACCESS_KEY_ID, 'the SDK signed with the keys from the chart-referenced Secret');
    assert.doesNotMatch(webhook.output(), new RegExp(standIn.issued.at(-1)!.slice(0, 24)), 'the token never appears in the logs');
  });
});
