// The three TLS modes: what the webhook container is told (the TLS contract of src/webhook/config.ts and
// src/webhook/self-tls/config.ts), what is mounted, who may touch what, and where the caBundle comes from.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWebhookConfig } from '../../src/webhook/config.js';
import { at, envOf, MINIMAL_VALUES, ofKind, only, podTemplate, RELEASE_NAMESPACE, renderChart, type KubeObject } from '../../harness/helm.js';
import { TEST_CA_PEM } from './value-sets.js';

function webhookPod(objects: readonly KubeObject[]): ReturnType<typeof podTemplate>['spec'] {
  return podTemplate(only(objects, 'Deployment')).spec;
}

function webhookEntry(objects: readonly KubeObject[]): Record<string, unknown> {
  return at<Array<Record<string, unknown>>>(only(objects, 'MutatingWebhookConfiguration'), 'webhooks')[0]!;
}

/** The container's plain env values, as the webhook process would see them (downward-API values filled in). */
function processEnv(objects: readonly KubeObject[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of envOf(webhookPod(objects).containers[0]!)) {
    env[name] = typeof value === 'string' ? value : at(value, 'fieldRef', 'fieldPath') === 'metadata.namespace' ? RELEASE_NAMESPACE : 'from-a-secret';
  }
  return env;
}

describe('tls.mode=self (default)', () => {
  it('tells the webhook where its Secret, webhook configuration and Service are, and mounts no certificate', async () => {
    const objects = await renderChart(MINIMAL_VALUES);
    const env = processEnv(objects);
    assert.equal(env.TLS_MODE, 'self');
    assert.equal(env.TLS_SECRET_NAME, only(objects, 'Secret').metadata.name);
    assert.equal(env.WEBHOOK_CONFIGURATION_NAME, only(objects, 'MutatingWebhookConfiguration').metadata.name);
    assert.equal(env.SERVICE_NAME, only(objects, 'Service').metadata.name);
    assert.deepEqual(webhookPod(objects).containers[0]?.env?.find((e) => e.name === 'POD_NAMESPACE'), {
      name: 'POD_NAMESPACE',
      valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
    });
    assert.equal(env.CERT_FILE, undefined);
    assert.equal(webhookPod(objects).volumes?.some((v) => v.name === 'tls'), false);
    assert.equal(webhookPod(objects).automountServiceAccountToken, true, 'self mode talks to the API server');
  });

  it('renders an environment the webhook itself accepts', async () => {
    const config = parseWebhookConfig([], processEnv(await renderChart(MINIMAL_VALUES)));
    assert.equal(config.tlsMode, 'self');
    assert.equal(config.port, 8443);
    assert.equal(config.opsPort, 8080);
    assert.equal(config.awsRegion, 'us-east-1');
  });

  it('creates the TLS Secret empty, kept on uninstall, so upgrades never wipe what the webhook wrote', async () => {
    const secret = only(await renderChart(MINIMAL_VALUES), 'Secret');
    assert.equal(secret.type, 'Opaque');
    assert.equal('data' in secret, false);
    assert.equal('stringData' in secret, false);
    assert.equal(secret.metadata.annotations?.['helm.sh/resource-policy'], 'keep');
  });

  it('uses tls.self.secretName when given, in the env and in the RBAC rule alike', async () => {
    const objects = await renderChart({ ...MINIMAL_VALUES, tls: { self: { secretName: 'webhook-ca' } } });
    assert.equal(only(objects, 'Secret').metadata.name, 'webhook-ca');
    assert.equal(processEnv(objects).TLS_SECRET_NAME, 'webhook-ca');
    assert.deepEqual(at(only(objects, 'Role'), 'rules', 0, 'resourceNames'), ['webhook-ca']);
  });

  it('leaves the caBundle to the webhook (nothing to carry over when the object does not exist yet)', async () => {
    const entry = webhookEntry(await renderChart(MINIMAL_VALUES));
    assert.equal(at(entry, 'clientConfig', 'caBundle'), undefined);
    assert.equal(only(await renderChart(MINIMAL_VALUES), 'MutatingWebhookConfiguration').metadata.annotations, undefined);
  });
});

describe('tls.mode=certManager', () => {
  it('issues the serving certificate from a private CA and lets cainjector fill the caBundle', async () => {
    const objects = await renderChart({ ...MINIMAL_VALUES, tls: { mode: 'certManager' } });
    const issuers = ofKind(objects, 'Issuer');
    assert.deepEqual(issuers.map((i) => Object.keys(at(i, 'spec'))).sort(), [['ca'], ['selfSigned']]);
    const certificates = ofKind(objects, 'Certificate');
    const ca = certificates.find((c) => at(c, 'spec', 'isCA') === true)!;
    const serving = certificates.find((c) => at(c, 'spec', 'isCA') !== true)!;
    assert.equal(certificates.length, 2);
    const caIssuer = issuers.find((i) => 'ca' in at<object>(i, 'spec'))!;
    assert.equal(at(caIssuer, 'spec', 'ca', 'secretName'), at(ca, 'spec', 'secretName'));
    assert.equal(at(serving, 'spec', 'issuerRef', 'name'), caIssuer.metadata.name);

    const service = only(objects, 'Service').metadata.name;
    assert.deepEqual(at(serving, 'spec', 'dnsNames'), [
      service,
      `${service}.${RELEASE_NAMESPACE}`,
      `${service}.${RELEASE_NAMESPACE}.svc`,
      `${service}.${RELEASE_NAMESPACE}.svc.cluster.local`,
    ]);
    const configuration = only(objects, 'MutatingWebhookConfiguration');
    assert.equal(configuration.metadata.annotations?.['cert-manager.io/inject-ca-from'], `${RELEASE_NAMESPACE}/${serving.metadata.name}`);
    assert.equal(at(webhookEntry(objects), 'clientConfig', 'caBundle'), undefined);

    // The webhook serves the Secret cert-manager writes, from files it hot-reloads.
    const env = processEnv(objects);
    assert.deepEqual([env.TLS_MODE, env.CERT_FILE, env.KEY_FILE], ['files', '/tls/tls.crt', '/tls/tls.key']);
    const pod = webhookPod(objects);
    assert.deepEqual(pod.volumes?.find((v) => v.name === 'tls'), { name: 'tls', secret: { secretName: at(serving, 'spec', 'secretName') } });
    assert.deepEqual(pod.containers[0]?.volumeMounts?.find((m) => m.name === 'tls'), { name: 'tls', mountPath: '/tls', readOnly: true });
    assert.equal(pod.automountServiceAccountToken, true, 'the namespace watch needs API access (TLS files need none)');
    assert.equal(parseWebhookConfig([], env).tlsMode, 'files');
  });

  it('uses an existing (Cluster)Issuer when named, and then creates no CA of its own', async () => {
    const issuerRef = { name: 'corp-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' };
    const objects = await renderChart({ ...MINIMAL_VALUES, tls: { mode: 'certManager', certManager: { issuerRef } } });
    assert.equal(ofKind(objects, 'Issuer').length, 0);
    assert.deepEqual(at(only(objects, 'Certificate'), 'spec', 'issuerRef'), issuerRef);
  });

  it('needs no TLS RBAC for the webhook and no TLS Secret from the chart', async () => {
    const objects = await renderChart({ ...MINIMAL_VALUES, tls: { mode: 'certManager' } });
    assert.deepEqual(ofKind(objects, 'Role'), []);
    assert.deepEqual(ofKind(objects, 'ClusterRole').map((r) => r.metadata.name), ['ecr-anywhere-refresher', 'ecr-anywhere-webhook-namespaces']);
    assert.deepEqual(ofKind(objects, 'Secret'), []);
  });
});

describe('tls.mode=manual (the original chart)', () => {
  const manual = (caBundle: string): Record<string, unknown> => ({ ...MINIMAL_VALUES, tls: { mode: 'manual', manual: { secretName: 'my-tls', caBundle } } });

  it('mounts the user Secret and encodes a PEM caBundle', async () => {
    const objects = await renderChart(manual(TEST_CA_PEM));
    assert.equal(Buffer.from(at<string>(webhookEntry(objects), 'clientConfig', 'caBundle'), 'base64').toString(), TEST_CA_PEM);
    assert.deepEqual(webhookPod(objects).volumes?.find((v) => v.name === 'tls'), { name: 'tls', secret: { secretName: 'my-tls' } });
    assert.equal(processEnv(objects).TLS_MODE, 'files');
    assert.deepEqual(ofKind(objects, 'Secret'), [], 'the chart never creates or owns the user Secret');
    assert.deepEqual(ofKind(objects, 'Role'), []);
  });

  it('sends reviews to webhook.url instead of the Service when one is given', async () => {
    const objects = await renderChart({ ...manual(TEST_CA_PEM), webhook: { url: 'https://127.0.0.1:9443/sync' } });
    assert.deepEqual(Object.keys(at<Record<string, unknown>>(webhookEntry(objects), 'clientConfig')).sort(), ['caBundle', 'url']);
    assert.equal(at(webhookEntry(objects), 'clientConfig', 'url'), 'https://127.0.0.1:9443/sync');
  });

  it("takes the original chart's base64 caBundle as it is", async () => {
    const base64 = Buffer.from(TEST_CA_PEM).toString('base64');
    const objects = await renderChart(manual(base64));
    assert.equal(at(webhookEntry(objects), 'clientConfig', 'caBundle'), base64);
  });
});
