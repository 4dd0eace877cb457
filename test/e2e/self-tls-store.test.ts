// The TLS_MODE=self store and loop in-process against the real API server: a lost race (409) adopts the winner's
// certificate, the caBundle patch touches only our webhook entries (the ServiceAccount one too) and only when it differs, a configuration without
// our entry is refused with its code, and a write keeps what the Secret holds besides our keys. Each test uses a
// Secret of its own.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { SERVICE_ACCOUNT_WEBHOOK_NAME, WEBHOOK_NAME } from '../../src/common/names.js';
import { systemClock } from '../../src/common/time.js';
import { KubernetesSelfTlsStore, type SelfTlsStore } from '../../src/tls/self-managed/kubernetes-store.js';
import { SelfManagedTls } from '../../src/tls/self-managed/self-managed-tls.js';
import { decodeTlsSecretData } from '../../src/tls/self-managed/secret-contents.js';
import { caBundleFor } from '../../src/tls/self-managed/decision.js';
import { createNamespace, deleteNamespaces, ensureCluster, uniqueName, webhookConfiguration, type TestCluster } from '../../harness/cluster.js';
import { captureLogs } from '../../harness/log-capture.js';

const HOSTS = ['ecr-anywhere', '127.0.0.1'];
const POLICY = { leafValidityMs: 3_600_000, caValidityMs: 4 * 3_600_000, caPublishGraceMs: 1_000 };

/** The real stores, except that no first read returns before every store has read: both see the same version. */
function readingTogether(stores: readonly SelfTlsStore[]): SelfTlsStore[] {
  let arrived = 0;
  let release: () => void = () => undefined;
  const everyoneRead = new Promise<void>((resolve) => (release = resolve));
  return stores.map((store) => ({
    secretRef: store.secretRef,
    webhookConfigurationRef: store.webhookConfigurationRef,
    readSecret: async () => {
      const snapshot = await store.readSecret();
      arrived += 1;
      if (arrived === stores.length) release();
      await everyoneRead;
      return snapshot;
    },
    writeSecret: (read, contents) => store.writeSecret(read, contents),
    publishCaBundle: (bundle) => store.publishCaBundle(bundle),
  }));
}

describe('self-managed TLS store on a real API server', { timeout: 90_000 }, () => {
  const run = uniqueName('sstore');
  const namespace = `${run}-tls`;
  const configurationName = `${run}-webhook`;
  const otherCa = Buffer.from('-----BEGIN CERTIFICATE-----\nnot ours\n-----END CERTIFICATE-----\n').toString('base64');
  let cluster: TestCluster;

  const store = (secretName: string): KubernetesSelfTlsStore =>
    new KubernetesSelfTlsStore(cluster.kubeConfig, { namespace, secretName, webhookConfigurationName: configurationName, requestTimeoutMs: 10_000 });

  before(async () => {
    cluster = await ensureCluster();
    await createNamespace(cluster, namespace, {});
    // Our entry second, after someone else's: the patch must find it by name and leave the other alone.
    const ours = (await webhookConfiguration({ name: configurationName, url: 'https://127.0.0.1:1', caBundle: '' })).webhooks?.[0];
    assert.ok(ours);
    delete ours.clientConfig.caBundle;
    const other = { ...ours, name: 'other.example.com', clientConfig: { url: 'https://127.0.0.1:2/other', caBundle: otherCa } };
    await cluster.admission.createMutatingWebhookConfiguration({ body: { metadata: { name: configurationName }, webhooks: [other, ours] } });
  });

  after(async () => {
    await cluster.admission.deleteMutatingWebhookConfiguration({ name: configurationName }).catch(() => undefined);
    await deleteNamespaces(cluster, [namespace]);
  });

  it('two replicas filling an empty Secret at once: one writes, the other loses with 409 and adopts its certificate', async () => {
    const secretName = 'race';
    await cluster.core.createNamespacedSecret({ namespace, body: { metadata: { name: secretName }, type: 'Opaque' } });
    const logs = [captureLogs('debug'), captureLogs('debug')];
    const stores = readingTogether([store(secretName), store(secretName)]);
    const replicas = logs.map(
      (capture, index) =>
        new SelfManagedTls({ store: stores[index]!, hosts: HOSTS, policy: POLICY, checkIntervalMs: 60_000, clock: systemClock, logger: capture.logger, onChange: () => undefined }),
    );
    const [first, second] = await Promise.all(replicas.map((replica) => replica.sync()));
    assert.equal(first?.certPem, second?.certPem, 'both serve the same certificate');
    const text = logs.map((capture) => capture.text()).join('\n');
    assert.equal(text.match(/wrote the TLS Secret/g)?.length, 1, text);
    assert.equal(text.match(/another replica updated the TLS Secret first/g)?.length, 1, text);
    const stored = decodeTlsSecretData((await cluster.core.readNamespacedSecret({ namespace, name: secretName })).data);
    assert.equal(stored.cert, first?.certPem);
    assert.ok(!text.includes('PRIVATE KEY'));
  });

  it('patches only its own webhook entry, and only when the caBundle differs', async () => {
    const secretName = 'own-entry';
    await cluster.core.createNamespacedSecret({ namespace, body: { metadata: { name: secretName }, type: 'Opaque' } });
    const capture = captureLogs('debug');
    // Fills the Secret and publishes its CA: from here the caBundle is this Secret's.
    await new SelfManagedTls({ store: store(secretName), hosts: HOSTS, policy: POLICY, checkIntervalMs: 60_000, clock: systemClock, logger: capture.logger, onChange: () => undefined }).sync();
    assert.match(capture.text(), /published the caBundle/);
    const bundle = caBundleFor(decodeTlsSecretData((await cluster.core.readNamespacedSecret({ namespace, name: secretName })).data), new Date());
    assert.ok(bundle);
    const before = await cluster.admission.readMutatingWebhookConfiguration({ name: configurationName });
    assert.equal(await store(secretName).publishCaBundle(bundle), 'unchanged');
    const after = await cluster.admission.readMutatingWebhookConfiguration({ name: configurationName });
    assert.equal(after.metadata?.resourceVersion, before.metadata?.resourceVersion, 'no write when nothing changes');
    const [other, ours] = after.webhooks ?? [];
    assert.equal(other?.name, 'other.example.com');
    assert.equal(other?.clientConfig.caBundle, otherCa, 'the other webhook keeps its caBundle');
    assert.equal(ours?.name, WEBHOOK_NAME);
    assert.equal(Buffer.from(ours?.clientConfig.caBundle ?? '', 'base64').toString('utf8'), bundle);
  });

  it('publishes the caBundle to the ServiceAccount entry too (serviceAccounts.inject), and restores it alone when stripped', async () => {
    const name = `${run}-with-sa`;
    const rendered = await webhookConfiguration({ name, url: 'https://127.0.0.1:1', caBundle: '', serviceAccountPullSecret: 'ecr-pull' });
    const [ours, accounts] = rendered.webhooks ?? [];
    assert.deepEqual([ours?.name, accounts?.name], [WEBHOOK_NAME, SERVICE_ACCOUNT_WEBHOOK_NAME]);
    const other = { ...ours!, name: 'other.example.com', clientConfig: { url: 'https://127.0.0.1:2/other', caBundle: otherCa } };
    await cluster.admission.createMutatingWebhookConfiguration({ body: { metadata: { name }, webhooks: [accounts!, other, ours!] } });
    const bundle = '-----BEGIN CERTIFICATE-----\nboth entries\n-----END CERTIFICATE-----\n';
    const bundleOf = async (entry: string): Promise<string | undefined> => {
      const found = (await cluster.admission.readMutatingWebhookConfiguration({ name })).webhooks?.find((webhook) => webhook.name === entry);
      return found?.clientConfig.caBundle === undefined ? undefined : Buffer.from(found.clientConfig.caBundle, 'base64').toString('utf8');
    };
    try {
      const withAccounts = new KubernetesSelfTlsStore(cluster.kubeConfig, { namespace, secretName: 'unused', webhookConfigurationName: name, requestTimeoutMs: 10_000 });
      assert.equal(await withAccounts.publishCaBundle(bundle), 'patched');
      assert.deepEqual([await bundleOf(WEBHOOK_NAME), await bundleOf(SERVICE_ACCOUNT_WEBHOOK_NAME)], [bundle, bundle]);
      assert.equal(await bundleOf('other.example.com'), Buffer.from(otherCa, 'base64').toString('utf8'), 'the other webhook keeps its caBundle');
      assert.equal(await withAccounts.publishCaBundle(bundle), 'unchanged');
      // A sync that strips only the ServiceAccount entry's bundle: the next publish restores it.
      await cluster.admission.patchMutatingWebhookConfiguration(
        { name, body: [{ op: 'test', path: '/webhooks/0/name', value: SERVICE_ACCOUNT_WEBHOOK_NAME }, { op: 'remove', path: '/webhooks/0/clientConfig/caBundle' }] },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      );
      assert.equal(await bundleOf(SERVICE_ACCOUNT_WEBHOOK_NAME), undefined);
      assert.equal(await withAccounts.publishCaBundle(bundle), 'patched');
      assert.deepEqual([await bundleOf(WEBHOOK_NAME), await bundleOf(SERVICE_ACCOUNT_WEBHOOK_NAME)], [bundle, bundle]);
    } finally {
      await cluster.admission.deleteMutatingWebhookConfiguration({ name }).catch(() => undefined);
    }
  });

  it('refuses a webhook configuration without our entry, with its code and what to check', async () => {
    const name = `${run}-foreign`;
    const ours = (await webhookConfiguration({ name, url: 'https://127.0.0.1:1', caBundle: '' })).webhooks?.[0];
    assert.ok(ours);
    await cluster.admission.createMutatingWebhookConfiguration({
      body: { metadata: { name }, webhooks: [{ ...ours, name: 'other.example.com', clientConfig: { url: 'https://127.0.0.1:2/other', caBundle: otherCa } }] },
    });
    try {
      const foreign = new KubernetesSelfTlsStore(cluster.kubeConfig, { namespace, secretName: 'unused', webhookConfigurationName: name, requestTimeoutMs: 10_000 });
      await assert.rejects(foreign.publishCaBundle('-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n'), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'ECR_ANYWHERE_TLS_SELF_MANAGED');
        assert.match(error.message, new RegExp(`MutatingWebhookConfiguration ${name} has no webhook named ${WEBHOOK_NAME.replace(/\./g, '\\.')}: check WEBHOOK_CONFIGURATION_NAME`));
        return true;
      });
    } finally {
      await cluster.admission.deleteMutatingWebhookConfiguration({ name }).catch(() => undefined);
    }
  });

  it('keeps the labels, type and foreign keys of the Secret when it writes', async () => {
    const secretName = 'shared';
    await cluster.core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: secretName, labels: { team: 'platform' } }, type: 'Opaque', data: { note: Buffer.from('keep me').toString('base64') } },
    });
    const capture = captureLogs('debug');
    await new SelfManagedTls({ store: store(secretName), hosts: HOSTS, policy: POLICY, checkIntervalMs: 60_000, clock: systemClock, logger: capture.logger, onChange: () => undefined }).sync();
    const secret = await cluster.core.readNamespacedSecret({ namespace, name: secretName });
    assert.equal(secret.metadata?.labels?.team, 'platform');
    assert.equal(secret.type, 'Opaque');
    assert.equal(Buffer.from(secret.data?.note ?? '', 'base64').toString('utf8'), 'keep me');
    assert.deepEqual(Object.keys(secret.data ?? {}).sort(), ['ca.crt', 'ca.key', 'note', 'tls.crt', 'tls.key']);
  });

  it('gives up with its code after a bounded number of lost races, when another writer changes the Secret every time', async () => {
    const secretName = 'contended';
    await cluster.core.createNamespacedSecret({ namespace, body: { metadata: { name: secretName }, type: 'Opaque' } });
    const real = store(secretName);
    let rivalWrites = 0;
    // A rival that writes the Secret between each of our reads and our write: every write of ours meets a real 409.
    const contended: SelfTlsStore = {
      secretRef: real.secretRef,
      webhookConfigurationRef: real.webhookConfigurationRef,
      readSecret: () => real.readSecret(),
      writeSecret: async (read, contents) => {
        rivalWrites += 1;
        await cluster.core.patchNamespacedSecret(
          { namespace, name: secretName, body: [{ op: 'add', path: '/metadata/labels', value: { rival: String(rivalWrites) } }] },
          setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
        );
        return real.writeSecret(read, contents);
      },
      publishCaBundle: (bundle) => real.publishCaBundle(bundle),
    };
    const capture = captureLogs('debug');
    const tls = new SelfManagedTls({ store: contended, hosts: HOSTS, policy: POLICY, checkIntervalMs: 60_000, clock: systemClock, logger: capture.logger, onChange: () => undefined });
    await assert.rejects(tls.sync(), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ECR_ANYWHERE_TLS_SELF_MANAGED');
      assert.match(error.message, new RegExp(`the TLS Secret ${namespace}/${secretName} kept changing while being updated \\(4 conflicts\\); will retry`));
      return true;
    });
    assert.equal(rivalWrites, 4, 'one first try and three retries, no more');
    assert.equal(capture.text().match(/another replica updated the TLS Secret first/g)?.length, 4);
    const stored = await cluster.core.readNamespacedSecret({ namespace, name: secretName });
    assert.deepEqual(Object.keys(stored.data ?? {}), [], 'none of our writes went through');
  });
});
