// Provisioning against the real API server with the real webhook: `refresh --provision-secret-name` creates the
// managed Secret where it is missing (the webhook fills it in the same request) and appends it to the named
// ServiceAccounts' imagePullSecrets without dropping anything; a same-named Secret that is not ours stays as it is.
// Each test provisions its own group of namespaces, made for it, and scopes its runs to that group.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, KubeConfig, type V1ClusterRole, type V1ClusterRoleBinding, type V1ServiceAccount } from '@kubernetes/client-node';
import { EXPIRES_AT_ANNOTATION, NAMESPACE_LABEL, NAMESPACE_LABEL_VALUE } from '../../src/common/names.js';
import { parseRfc3339 } from '../../src/common/time.js';
import { refreshSummaryOf, runCli } from '../../harness/cli-process.js';
import {
  createNamespace,
  createSecret,
  deleteNamespaces,
  enabledNamespaceLabels,
  ensureCluster,
  kubeconfigForServiceAccount,
  labelNamespace,
  startClusterWebhook,
  uniqueName,
  type ClusterWebhook,
  type TestCluster,
} from '../../harness/cluster.js';
import { startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';
import { at, MINIMAL_VALUES, only, renderChart, type Container } from '../../harness/helm.js';

const SUITE_LABEL = 'e2e.ecr-anywhere/suite';
const GROUP_LABEL = 'e2e.ecr-anywhere/group';
const SECRET = 'ecr-pull';

/** Three enabled namespaces: `default` lists another pull Secret; one more ServiceAccount; a same-named foreign Secret. */
interface ProvisionGroup {
  readonly selector: string;
  readonly withDockerhub: string;
  readonly withBuilder: string;
  readonly withForeignSecret: string;
  readonly namespaces: readonly string[];
}


async function waitForServiceAccount(cluster: TestCluster, namespace: string, name: string): Promise<V1ServiceAccount> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const account = await cluster.core.readNamespacedServiceAccount({ namespace, name }).catch(() => undefined);
    if (account) return account;
    assert.ok(Date.now() < deadline, `ServiceAccount ${namespace}/${name} never appeared (is kube-controller-manager running?)`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('ecr-anywhere refresh --provision-secret-name', { timeout: 180_000 }, () => {
  const suite = uniqueName('rfp');
  const created: string[] = [];
  const clusterScoped: Array<{ kind: 'ClusterRole' | 'ClusterRoleBinding'; name: string }> = [];
  let cluster: TestCluster;
  let standIn: EcrStandIn;
  let webhook: ClusterWebhook | undefined;
  const args = (group: ProvisionGroup): string[] => [
    'refresh',
    '--kubeconfig',
    cluster.info.kubeconfig,
    '--namespace-selector',
    group.selector,
    '--provision-secret-name',
    SECRET,
    '--provision-service-accounts',
    'default,builder',
  ];
  const imagePullSecrets = async (namespace: string, name: string): Promise<Array<string | undefined>> =>
    ((await cluster.core.readNamespacedServiceAccount({ namespace, name })).imagePullSecrets ?? []).map((reference) => reference.name);
  const groupLabels = (name: string): Record<string, string> => ({ [SUITE_LABEL]: suite, [GROUP_LABEL]: `${suite}-${name}` });

  /** A group of its own for one test, selected by the suite's webhook. */
  const provisionGroup = async (name: string): Promise<ProvisionGroup> => {
    const [withDockerhub, withBuilder, withForeignSecret] = [1, 2, 3].map((index) => `${suite}-${name}${index}`) as [string, string, string];
    const namespaces = [withDockerhub, withBuilder, withForeignSecret];
    for (const namespace of namespaces) {
      await createNamespace(cluster, namespace, enabledNamespaceLabels(groupLabels(name)));
      created.push(namespace);
    }
    const account = await waitForServiceAccount(cluster, withDockerhub, 'default');
    await cluster.core.replaceNamespacedServiceAccount({ namespace: withDockerhub, name: 'default', body: { ...account, imagePullSecrets: [{ name: 'dockerhub' }] } });
    await cluster.core.createNamespacedServiceAccount({ namespace: withBuilder, body: { metadata: { name: 'builder' } } });
    await waitForServiceAccount(cluster, withBuilder, 'default');
    await waitForServiceAccount(cluster, withForeignSecret, 'default');
    // A Secret of the same name that is not labeled managed: provisioning must leave it alone.
    await createSecret(cluster, { namespace: withForeignSecret, name: SECRET, type: 'Opaque', labels: {} });
    return { selector: `${GROUP_LABEL}=${suite}-${name}`, withDockerhub, withBuilder, withForeignSecret, namespaces };
  };

  before(async () => {
    cluster = await ensureCluster();
    standIn = await startEcrStandIn();
    const probe = `${suite}-probe`;
    await createNamespace(cluster, probe, enabledNamespaceLabels(groupLabels('probe')));
    created.push(probe);
    webhook = await startClusterWebhook(cluster, { standIn, probeNamespace: probe, namespaceLabels: { [SUITE_LABEL]: suite } });
  });

  after(async () => {
    await webhook?.stop();
    await standIn?.close();
    if (!cluster) return;
    await deleteNamespaces(cluster, created);
    for (const { kind, name } of clusterScoped) {
      if (kind === 'ClusterRole') await cluster.rbac.deleteClusterRole({ name }).catch(() => undefined);
      else await cluster.rbac.deleteClusterRoleBinding({ name }).catch(() => undefined);
    }
  });

  it('--dry-run says what it would create and creates nothing', async () => {
    const group = await provisionGroup('dry');
    const { namespaces, withDockerhub } = group;
    const result = await runCli([...args(group), '--dry-run']);
    assert.equal(result.code, 0, result.stdout);
    // Every namespace without a managed Secret of that name: the dry run does not probe for foreign ones.
    const planned = result.logLines.filter((line) => line.msg === 'would create the managed Secret (dry run)').map((line) => line.namespace);
    assert.deepEqual(planned.sort(), [...namespaces].sort());
    const summary = refreshSummaryOf(result);
    assert.deepEqual([summary.apiCalls.create, summary.apiCalls.patch], [0, 0]);
    await assert.rejects(cluster.core.readNamespacedSecret({ namespace: withDockerhub, name: SECRET }), /404|Not Found|not found/i);
  });

  it('creates the Secret where missing, filled by the webhook, and adds it to ServiceAccounts keeping their entries', async () => {
    const group = await provisionGroup('make');
    const { withDockerhub, withBuilder, withForeignSecret } = group;
    const foreignBefore = await cluster.core.readNamespacedSecret({ namespace: withForeignSecret, name: SECRET });
    const result = await runCli(args(group));
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
    const group = await provisionGroup('again');
    const first = await runCli(args(group));
    assert.equal(first.code, 0, `set-up run failed:\n${first.stdout}\n${first.stderr}`);
    assert.equal(refreshSummaryOf(first).provisioning?.created, 2, 'set-up run');
    const result = await runCli(args(group));
    assert.equal(result.code, 0);
    const summary = refreshSummaryOf(result);
    assert.deepEqual(summary.provisioning, { created: 0, conflicts: 1, serviceAccountsUpdated: 0, serviceAccountsMissing: 1, failed: 0 });
    assert.deepEqual([summary.apiCalls.patch, summary.apiCalls.get], [0, 0]);
    assert.equal(summary.fresh, 2);
  });

  it("runs with exactly the chart's refresher RBAC, as its ServiceAccount, with the CronJob's environment", async () => {
    const group = await provisionGroup('chart');
    const [lateNamespace, releaseNamespace] = [`${suite}-chart-late`, `${suite}-chart-sys`];
    // The chart as a user would install it, with provisioning on and scoped to this test's namespaces.
    const release = `${suite}-chart`;
    const objects = await renderChart(
      { ...MINIMAL_VALUES, extraNamespaceLabels: groupLabels('chart'), refresher: { provisioning: { secretName: SECRET, serviceAccounts: ['default'] } } },
      { release, namespace: releaseNamespace },
    );
    const role = only(objects, 'ClusterRole', '-refresher') as unknown as V1ClusterRole;
    const binding = only(objects, 'ClusterRoleBinding', '-refresher') as unknown as V1ClusterRoleBinding;
    const account = only(objects, 'ServiceAccount', '-refresher');
    const container = only(objects, 'CronJob').spec;
    const refresher = at<Container[]>(container, 'jobTemplate', 'spec', 'template', 'spec', 'containers').find((candidate) => candidate.name === 'refresher');
    assert.deepEqual(refresher?.args, ['refresh']);
    const cronJobEnv = Object.fromEntries((refresher?.env ?? []).flatMap((entry) => (entry.value === undefined ? [] : [[entry.name, entry.value]])));

    await createNamespace(cluster, releaseNamespace, {});
    created.push(releaseNamespace);
    await cluster.core.createNamespacedServiceAccount({ namespace: releaseNamespace, body: { metadata: { name: account.metadata.name } } });
    await cluster.rbac.createClusterRole({ body: role });
    clusterScoped.push({ kind: 'ClusterRole', name: role.metadata?.name ?? '' });
    await cluster.rbac.createClusterRoleBinding({ body: binding });
    clusterScoped.push({ kind: 'ClusterRoleBinding', name: binding.metadata?.name ?? '' });

    // A namespace with a stale managed Secret (created before the namespace was enabled, so the webhook left it
    // alone) and no provisioned Secret yet.
    await createNamespace(cluster, lateNamespace, groupLabels('chart'));
    created.push(lateNamespace);
    await createSecret(cluster, { namespace: lateNamespace, name: 'stale' });
    await labelNamespace(cluster, lateNamespace, { [NAMESPACE_LABEL]: NAMESPACE_LABEL_VALUE });
    await waitForServiceAccount(cluster, lateNamespace, 'default');

    const kubeconfig = await kubeconfigForServiceAccount(cluster, releaseNamespace, account.metadata.name);
    // RBAC grants reach the authorizer through a watch: wait until the ServiceAccount may list Secrets, then run once.
    await waitForGrant(kubeconfig);
    const result = await runCli(['refresh', '--kubeconfig', kubeconfig], { env: cronJobEnv });
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    const summary = refreshSummaryOf(result);
    assert.deepEqual([summary.stale, summary.refreshed, summary.eventsFailed], [1, 1, 0]);
    // Three namespaces without it (one of them `late`), one holding a foreign Secret of that name; `default` in each.
    assert.deepEqual(summary.provisioning, { created: 3, conflicts: 1, serviceAccountsUpdated: 3, serviceAccountsMissing: 0, failed: 0 });
    assert.deepEqual(await imagePullSecrets(lateNamespace, 'default'), [SECRET]);
    assert.deepEqual(await imagePullSecrets(group.withDockerhub, 'default'), ['dockerhub', SECRET]);
    assert.deepEqual(await imagePullSecrets(group.withForeignSecret, 'default'), []);
  });
});

async function waitForGrant(kubeconfig: string): Promise<void> {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  const api = config.makeApiClient(CoreV1Api);
  const deadline = Date.now() + 15_000;
  while (!(await api.listSecretForAllNamespaces({ limit: 1 }).then(() => true, () => false))) {
    assert.ok(Date.now() < deadline, 'the ClusterRoleBinding never took effect');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
