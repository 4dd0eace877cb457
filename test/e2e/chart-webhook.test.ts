// The installed chart and the real webhook together, with no manual TLS step: `helm install` (tls.mode=self,
// static keys from an existing Secret), then `ecr-anywhere webhook` started with exactly the environment the
// chart's Deployment declares (Secret and downward-API references resolved as the kubelet would), authenticated
// as the chart's webhook ServiceAccount, listening on the chart Service's ClusterIP:443 (the harness routes
// nothing, so the API server dials that loopback address itself). The webhook fills its TLS Secret and the caBundle
// with only the chart's RBAC, and the API server, calling through the chart's MutatingWebhookConfiguration with the
// client certificate the chart's webhook.clientAuth demands, fills a labeled Secret.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { standInAwsEnv } from '../../harness/aws-env.js';
import { startChartTestbed, type ChartTestbed } from '../../harness/chart-testbed.js';
import { CHART_DIR, envOf, only, parseObjects, podTemplate, withValuesFile } from '../../harness/helm.js';
import { until } from '../../harness/poll.js';

describe('the chart with the real webhook (tls.mode=self)', { timeout: 300_000 }, () => {
  let bed: ChartTestbed;

  before(async () => {
    bed = await startChartTestbed('chart-webhook');
  });

  after(async () => {
    await bed.tools.helm(['uninstall', bed.release, '--namespace', bed.namespace]);
    await bed.close();
  });

  it('works from helm install with only AWS settings given', async () => {
    const { cluster, namespace, standIn } = bed;
    const values = {
      ...bed.values,
      // Only the API server may call: its webhook client certificate comes from the harness CA (cluster-up.sh).
      webhook: { clientAuth: { enabled: true, caBundle: await readFile(cluster.info.webhookClientCaFile, 'utf8'), allowedNames: [cluster.info.webhookClientName] } },
    };
    const installed = await withValuesFile(values, (file) => bed.tools.helm(['install', bed.release, CHART_DIR, '--namespace', namespace, '--values', file]));
    assert.equal(installed.code, 0, installed.stderr);
    const manifest = parseObjects((await bed.tools.helm(['get', 'manifest', bed.release, '--namespace', namespace])).stdout);
    const env = envOf(podTemplate(only(manifest, 'Deployment')).spec.containers[0]!);
    const plain = (name: string): string => {
      const value = env.get(name);
      assert.equal(typeof value, 'string', `${name} is a plain value in the Deployment`);
      return value as string;
    };
    assert.equal(plain('CLIENT_CA_FILE'), '/client-ca/ca.crt');
    const webhook = await bed.startWebhook(manifest, { TLS_CHECK_INTERVAL: '2s' });

    const tlsSecret = plain('TLS_SECRET_NAME');
    const filled = await until('the webhook filling its TLS Secret', 30_000, async () => {
      const secret = await cluster.core.readNamespacedSecret({ name: tlsSecret, namespace });
      return Object.keys(secret.data ?? {}).length > 0 ? secret : undefined;
    });
    assert.ok(Object.keys(filled.data ?? {}).length >= 2, 'CA and serving certificate kept in the Secret');
    await until('the webhook patching the caBundle', 30_000, async () => {
      const configuration = await cluster.admission.readMutatingWebhookConfiguration({ name: plain('WEBHOOK_CONFIGURATION_NAME') });
      return configuration.webhooks?.[0]?.clientConfig.caBundle ? true : undefined;
    });

    // The API server calls the webhook through the chart's configuration and Service, trusting the patched caBundle.
    const secret = await bed.admitLabeledSecret(30_000);
    const config = JSON.parse(Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8')) as { auths: Record<string, { password?: string }> };
    const [entry] = Object.values(config.auths);
    assert.equal(entry?.password, standIn.issued.at(-1), 'the Secret holds the token the stand-in issued');
    assert.equal(standIn.calls.at(-1)?.accessKeyId, standInAwsEnv(standIn.url).AWS_ACCESS_KEY_ID, 'the SDK signed with the keys from the chart-referenced Secret');
    assert.doesNotMatch(webhook.output(), new RegExp(standIn.issued.at(-1)!.slice(0, 24)), 'the token never appears in the logs');
  });
});
