// Provisioning against the real API server with the real webhook: `refresh --provision-secret-name` creates the
// managed Secret where it is missing (the webhook fills it in the same request) and appends it to the named
// ServiceAccounts' imagePullSecrets without dropping anything; a same-named Secret that is not ours stays as it is.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { V1ServiceAccount } from '@kubernetes/client-node';
import { EXPIRES_AT_ANNOTATION } from '../../src/common/names.js';
import { parseRfc3339 } from '../../src/common/time.js';
import { refreshSummaryOf, runCli } from '../support/cli-process.js';
import {
  createNamespace,
  createSecret,
  deleteNamespaces,
  enabledNamespaceLabels,
  ensureCluster,
  startClusterWebhook,
  uniqueName,
  type ClusterWebhook,
  type TestCluster,
} from '../support/cluster.js';
import { startEcrStandIn, type EcrStandIn } from '../support/ecr-stand-in.js';

const SUITE_LABEL = 'e2e.ecr-anywhere/suite';
const SECRET = 'ecr-pull';


async function waitForServiceAccount(cluster: TestCluster, namespace: string, name: string): Promise<V1ServiceAccount> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const account = await cluster.core.readNamespacedServiceAccount({ namespace, name }).catch(() => undefined);
    if (account) return account;
    assert.ok(Date.now() < deadline, `ServiceAccount ${namespace}/${name} never appeared (is kube-controller-manager running?)`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('ecr-anywhere refresh --provision-secret-name', { timeout: 120_000 }, () => {
  const suite = uniqueName('rfp');
  const labels = enabledNamespaceLabels({ [SUITE_LABEL]: suite });
  const [withDockerhub, withBuilder, withForeignSecret] = [`${suite}-1`, `${suite}-2`, `${suite}-3`];
  const namespaces = [withDockerhub, withBuilder, withForeignSecret];
  let cluster: TestCluster;
  let standIn: EcrStandIn;
  let webhook: ClusterWebhook | undefined;
  const args = (): string[] => [
    'refresh',
    '--kubeconfig',
    cluster.info.kubeconfig,
    '--namespace-selector',
    `${SUITE_LABEL}=${suite}`,
    '--provision-secret-name',
    SECRET,
    '--provision-service-accounts',
    'default,builder',
  ];
  const imagePullSecrets = async (namespace: string, name: string): Promise<Array<string | undefined>> =>
    ((await cluster.core.readNamespacedServiceAccount({ namespace, name })).imagePullSecrets ?? []).map((reference) => reference.name);

  before(async () => {
    cluster = await ensureCluster();
    standIn = await startEcrStandIn();
    for (const namespace of namespaces) await createNamespace(cluster, namespace, labels);
    const account = await waitForServiceAccount(cluster, withDockerhub, 'default');
    await cluster.core.replaceNamespacedServiceAccount({ namespace: withDockerhub, name: 'default', body: { ...account, imagePullSecrets: [{ name: 'dockerhub' }] } });
    await cluster.core.createNamespacedServiceAccount({ namespace: withBuilder, body: { metadata: { name: 'builder' } } });
    await waitForServiceAccount(cluster, withBuilder, 'default');
    await waitForServiceAccount(cluster, withForeignSecret, 'default');
    // A Secret of the same name that is not labeled managed: provisioning must leave it alone.
    await createSecret(cluster, { namespace: withForeignSecret, name: SECRET, type: 'Opaque', labels: {} });
    webhook = await startClusterWebhook(cluster, { standIn, probeNamespace: withDockerhub, namespaceLabels: { [SUITE_LABEL]: suite } });
  });

  after(async () => {
    await webhook?.stop();
    await standIn?.close();
    if (cluster) await deleteNamespaces(cluster, namespaces);
  });

  it('--dry-run says what it would create and creates nothing', async () => {
    const result = await runCli([...args(), '--dry-run']);
    assert.equal(result.code, 0, result.stdout);
    // Every namespace without a managed Secret of that name: the dry run does not probe for foreign ones.
    const planned = result.logLines.filter((line) => line.msg === 'would create the managed Secret (dry run)').map((line) => line.namespace);
    assert.deepEqual(planned.sort(), [...namespaces].sort());
    const summary = refreshSummaryOf(result);
    assert.deepEqual([summary.apiCalls.create, summary.apiCalls.patch], [0, 0]);
    await assert.rejects(cluster.core.readNamespacedSecret({ namespace: withDockerhub, name: SECRET }), /404|Not Found|not found/i);
  });

  it('creates the Secret where missing, filled by the webhook, and adds it to ServiceAccounts keeping their entries', async () => {
    const foreignBefore = await cluster.core.readNamespacedSecret({ namespace: withForeignSecret, name: SECRET });
    const result = await runCli(args());
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.deepEqual(refreshSummaryOf(result).provisioning, { created: 2, conflicts: 1, serviceAccountsUpdated: 3, serviceAccountsMissing: 1, failed: 0 });

    for (const namespace of [withDockerhub, withBuilder]) {
      const secret = await cluster.core.readNamespacedSecret({ namespace, name: SECRET });
      const expiresAt = parseRfc3339(secret.metadata?.annotations?.[EXPIRES_AT_ANNOTATION]);
      assert.ok(expiresAt && expiresAt.getTime() - Date.now() > 6 * 3_600_000, `${namespace}/${SECRET} was filled`);
      const auths = JSON.parse(Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64').toString()) as { auths: Record<string, { password: string }> };
      assert.ok(standIn.issued.includes(Object.values(auths.auths)[0]?.password ?? ''));
      const events = (await cluster.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${SECRET}` })).items;
      assert.deepEqual(events.map((event) => event.reason), ['Provisioned']);
    }
    assert.deepEqual(await imagePullSecrets(withDockerhub, 'default'), ['dockerhub', SECRET]);
    assert.deepEqual(await imagePullSecrets(withBuilder, 'default'), [SECRET]);
    assert.deepEqual(await imagePullSecrets(withBuilder, 'builder'), [SECRET]);
    // The namespace whose same-named Secret is not ours: neither the Secret nor its ServiceAccount is touched.
    const foreignAfter = await cluster.core.readNamespacedSecret({ namespace: withForeignSecret, name: SECRET });
    assert.equal(foreignAfter.metadata?.resourceVersion, foreignBefore.metadata?.resourceVersion);
    assert.deepEqual(await imagePullSecrets(withForeignSecret, 'default'), []);
  });

  it('a second run changes nothing', async () => {
    const result = await runCli(args());
    assert.equal(result.code, 0);
    const summary = refreshSummaryOf(result);
    assert.deepEqual(summary.provisioning, { created: 0, conflicts: 1, serviceAccountsUpdated: 0, serviceAccountsMissing: 1, failed: 0 });
    assert.deepEqual([summary.apiCalls.patch, summary.apiCalls.get], [0, 0]);
    assert.equal(summary.fresh, 2);
  });
});
