// GitOps on a real kube-apiserver: the chart rendered with `helm template` and applied with kubectl, as Argo CD
// does (Helm's `lookup` sees nothing, so the rendered MutatingWebhookConfiguration has no caBundle), then the real
// webhook with exactly the environment the Deployment declares (as in chart-webhook.test.ts). Measured: the time from
// the webhook's start to the first successful admission, and from a sync that strips the caBundle again (Argo CD's
// Replace=true, `kubectl replace`) to admissions working again. The webhook's caBundle guard restores it within
// seconds; the certificate loop alone (TLS_CHECK_INTERVAL, 60 s by default) would take up to a minute.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { toKubernetesError } from '../../src/common/kubernetes-client.js';
import { EXPIRES_AT_ANNOTATION } from '../../src/common/names.js';
import { standInAwsEnv } from '../../harness/aws-env.js';
import { createNamespace, createSecret, deleteNamespaces, enabledNamespaceLabels, ensureCluster, kubeconfigForUser, uniqueName, type TestCluster } from '../../harness/cluster.js';
import { startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';
import { at, clusterTools, helmTemplate, kubeletEnv, only, parseObjects, podTemplate, type ClusterTools, type KubeObject } from '../../harness/helm.js';
import { until } from '../../harness/poll.js';
import { startWebhookProcess, type WebhookProcess } from '../../harness/webhook-process.js';
import { stringify } from 'yaml';

describe('the chart applied GitOps-style (helm template | kubectl apply)', { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  let tools: ClusterTools;
  let standIn: EcrStandIn;
  let webhook: WebhookProcess | undefined;
  let rendered = '';
  const namespace = uniqueName('gitops');
  const apps = uniqueName('gitops-apps');
  const release = uniqueName('ecg');
  const scope = { 'e2e.ecr-anywhere/gitops': release };

  before(async () => {
    cluster = await ensureCluster();
    tools = await clusterTools(cluster.info.kubeconfig);
    standIn = await startEcrStandIn();
    await createNamespace(cluster, namespace, {});
    await createNamespace(cluster, apps, enabledNamespaceLabels(scope));
  });

  after(async () => {
    await webhook?.stop();
    if (rendered !== '') await tools.kubectl(['delete', '--ignore-not-found', '--wait=false', '-f', '-'], { input: rendered });
    await deleteNamespaces(cluster, [namespace, apps]);
    await standIn.close();
    await tools.close();
  });

  /** A labeled Secret created through the API server and filled by the webhook; the last refusal on timeout. */
  async function firstAdmission(timeoutMs: number): Promise<void> {
    let lastRefusal = '';
    await until('a labeled Secret admitted with credentials', timeoutMs, async () => {
      const created = await createSecret(cluster, { namespace: apps, name: uniqueName('pull') }).catch((error: unknown) => {
        lastRefusal = toKubernetesError(error, 'create a labeled Secret').message;
        return undefined;
      });
      return created?.metadata?.annotations?.[EXPIRES_AT_ANNOTATION] ? true : undefined;
    }, 100).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; last refusal: ${lastRefusal}`);
    });
  }

  async function caBundleOf(name: string): Promise<string> {
    const configuration = await cluster.admission.readMutatingWebhookConfiguration({ name });
    return configuration.webhooks?.[0]?.clientConfig.caBundle ?? '';
  }

  it('admits within seconds of the webhook starting, and again within seconds of a sync stripping the caBundle', async () => {
    const keys = standInAwsEnv(standIn.url);
    await cluster.core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'aws-keys' }, stringData: { AWS_ACCESS_KEY_ID: keys.AWS_ACCESS_KEY_ID!, AWS_SECRET_ACCESS_KEY: keys.AWS_SECRET_ACCESS_KEY! } },
    });
    const values = {
      aws: {
        region: 'us-east-1',
        existingSecret: { name: 'aws-keys' },
        env: ['AWS_ENDPOINT_URL_ECR', 'AWS_EC2_METADATA_DISABLED', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE'].map((name) => ({ name, value: keys[name] })),
      },
      extraNamespaceLabels: scope,
    };
    const template = await helmTemplate(values, { release, namespace });
    assert.equal(template.code, 0, template.stderr);
    rendered = template.stdout;
    const objects = parseObjects(rendered);
    const configuration: KubeObject = only(objects, 'MutatingWebhookConfiguration');
    assert.equal(at<{ caBundle?: string }>(configuration, 'webhooks', 0, 'clientConfig').caBundle, undefined, 'rendered without a caBundle, as Argo CD renders it');
    const applied = await tools.kubectl(['apply', '--namespace', namespace, '-f', '-'], { input: rendered });
    assert.equal(applied.code, 0, applied.stderr);

    const deployment = only(objects, 'Deployment');
    const service = await cluster.core.readNamespacedService({ name: only(objects, 'Service').metadata.name, namespace });
    const env = await kubeletEnv(deployment, namespace, async (name) => (await cluster.core.readNamespacedSecret({ name, namespace })).data);
    const account = at<string>(podTemplate(deployment).spec, 'serviceAccountName');
    env.KUBECONFIG = await kubeconfigForUser(cluster, `system:serviceaccount:${namespace}:${account}`, ['system:serviceaccounts', `system:serviceaccounts:${namespace}`]);
    assert.equal(env.TLS_CHECK_INTERVAL, undefined, 'the certificate loop keeps its default interval (60 s)');

    const started = Date.now();
    webhook = await startWebhookProcess(env, ['--host', service.spec!.clusterIP!, '--port', String(at<number>(service.spec, 'ports', 0, 'port'))]);
    await firstAdmission(30_000);
    const toFirstAdmissionMs = Date.now() - started;

    // The next sync, as Argo CD with Replace=true (or any `kubectl replace` of the rendered object) writes it.
    const configurationName = configuration.metadata.name;
    assert.notEqual(await caBundleOf(configurationName), '');
    const stripped = Date.now();
    const replaced = await tools.kubectl(['replace', '-f', '-'], { input: stringify(configuration) });
    assert.equal(replaced.code, 0, replaced.stderr);
    await until('the caBundle restored', 15_000, async () => ((await caBundleOf(configurationName)) !== '' ? true : undefined), 100);
    await firstAdmission(15_000);
    const toRecoveryMs = Date.now() - stripped;

    // A plain re-apply of the whole rendered chart (Argo CD's default sync) leaves admissions working too.
    const reapplied = await tools.kubectl(['apply', '--namespace', namespace, '-f', '-'], { input: rendered });
    assert.equal(reapplied.code, 0, reapplied.stderr);
    await firstAdmission(15_000);

    console.log(`gitops: first successful admission ${(toFirstAdmissionMs / 1000).toFixed(1)} s after the webhook started; admissions again ${(toRecoveryMs / 1000).toFixed(1)} s after a sync stripped the caBundle`);
    assert.match(webhook.output(), /restored it/, 'the guard says what it did');
  });
});
