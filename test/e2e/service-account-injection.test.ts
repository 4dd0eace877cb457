// serviceAccounts.inject on the real API server: with the chart's ServiceAccount entry registered (its rules and
// selectors, aimed at the real webhook process), a ServiceAccount created in an enabled namespace comes back from the
// API server with the pull Secret in imagePullSecrets — entries it listed kept, one already naming it unchanged —
// and in a namespace that is not enabled nothing happens. Then the whole path of a brand-new namespace: the
// `default` ServiceAccount kube-controller-manager creates carries the reference at once, the Secret itself waits
// for the refresher's provisioning (run once here), and the delays are measured and printed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { V1ServiceAccount } from '@kubernetes/client-node';
import { EXPIRES_AT_ANNOTATION, NAMESPACE_LABEL, NAMESPACE_LABEL_VALUE } from '../../src/common/names.js';
import { parseRfc3339 } from '../../src/common/time.js';
import { refreshSummaryOf, runCli } from '../../harness/cli-process.js';
import {
  createNamespace,
  deleteNamespaces,
  enabledNamespaceLabels,
  ensureCluster,
  labelNamespace,
  startClusterWebhook,
  uniqueName,
  type ClusterWebhook,
  type TestCluster,
} from '../../harness/cluster.js';
import { startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';
import { until } from '../../harness/poll.js';
import { getText } from '../../harness/webhook-process.js';

const SUITE_LABEL = 'e2e.ecr-anywhere/suite';
const GROUP_LABEL = 'e2e.ecr-anywhere/group';
const SECRET = 'ecr-pull';
/** Brand-new namespaces measured; a handful gives a spread without loading the shared machine. */
const MEASURED_NAMESPACES = 5;

function pullSecretNames(account: V1ServiceAccount): Array<string | undefined> {
  return (account.imagePullSecrets ?? []).map((reference) => reference.name);
}

function describeMs(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return `median ${median} ms, min ${sorted[0]} ms, max ${sorted.at(-1)} ms (n=${sorted.length})`;
}

describe('serviceAccounts.inject: new ServiceAccounts get the pull Secret at admission', { timeout: 240_000 }, () => {
  const suite = uniqueName('sai');
  const created: string[] = [];
  let cluster: TestCluster;
  let standIn: EcrStandIn;
  let webhook: ClusterWebhook | undefined;
  const suiteLabels = { [SUITE_LABEL]: suite };

  /** A namespace of this suite: enabled (the webhook's scope) or only carrying the suite label. */
  const namespace = async (name: string, enabled: boolean, extra: Record<string, string> = {}): Promise<string> => {
    const full = `${suite}-${name}`;
    await createNamespace(cluster, full, enabled ? enabledNamespaceLabels({ ...suiteLabels, ...extra }) : { ...suiteLabels, ...extra });
    created.push(full);
    return full;
  };
  const createAccount = (where: string, name: string, imagePullSecrets?: Array<{ name: string }>): Promise<V1ServiceAccount> =>
    cluster.core.createNamespacedServiceAccount({ namespace: where, body: { metadata: { name }, ...(imagePullSecrets ? { imagePullSecrets } : {}) } });
  const admissionsCounted = async (outcome: string): Promise<number> => {
    const metrics = (await getText(webhook!.process.opsPort, '/metrics')).body;
    const match = new RegExp(`ecr_anywhere_service_account_admissions_total\\{outcome="${outcome}"\\} (\\d+)`).exec(metrics);
    return match ? Number(match[1]) : 0;
  };

  before(async () => {
    cluster = await ensureCluster();
    standIn = await startEcrStandIn();
    const probe = await namespace('probe', true);
    webhook = await startClusterWebhook(cluster, { standIn, probeNamespace: probe, namespaceLabels: suiteLabels, serviceAccountPullSecret: SECRET });
  });

  after(async () => {
    await webhook?.stop();
    await standIn?.close();
    if (cluster) await deleteNamespaces(cluster, created);
  });

  it('adds the Secret to a ServiceAccount created in an enabled namespace, keeping its entries; one listing it stays as it is', async () => {
    const where = await namespace('accounts', true);
    const patchedBefore = await admissionsCounted('patched');
    assert.deepEqual(pullSecretNames(await createAccount(where, 'plain')), [SECRET]);
    assert.deepEqual(pullSecretNames(await createAccount(where, 'builder', [{ name: 'dockerhub' }, { name: 'quay' }])), ['dockerhub', 'quay', SECRET]);
    const unchangedBefore = await admissionsCounted('unchanged');
    assert.deepEqual(pullSecretNames(await createAccount(where, 'listed', [{ name: SECRET }, { name: 'dockerhub' }])), [SECRET, 'dockerhub']);
    // What the API server stored, not only what it answered the create with.
    const stored = await cluster.core.readNamespacedServiceAccount({ namespace: where, name: 'builder' });
    assert.deepEqual(pullSecretNames(stored), ['dockerhub', 'quay', SECRET]);
    assert.equal((await admissionsCounted('patched')) - patchedBefore, 2, 'two accounts patched');
    assert.equal((await admissionsCounted('unchanged')) - unchangedBefore, 1, 'the one listing it answered without a patch');
    // Later writes are not ours: an UPDATE that drops the reference keeps it dropped (the entry is CREATE only).
    await cluster.core.replaceNamespacedServiceAccount({ namespace: where, name: 'plain', body: { ...(await cluster.core.readNamespacedServiceAccount({ namespace: where, name: 'plain' })), imagePullSecrets: [] } });
    assert.deepEqual(pullSecretNames(await cluster.core.readNamespacedServiceAccount({ namespace: where, name: 'plain' })), []);
  });

  it('leaves ServiceAccounts in a namespace that is not enabled alone', async () => {
    const where = await namespace('off', false);
    const seenBefore = (await admissionsCounted('patched')) + (await admissionsCounted('unchanged')) + (await admissionsCounted('skipped'));
    assert.deepEqual(pullSecretNames(await createAccount(where, 'plain')), []);
    assert.deepEqual(pullSecretNames(await createAccount(where, 'builder', [{ name: 'dockerhub' }])), ['dockerhub']);
    const seenAfter = (await admissionsCounted('patched')) + (await admissionsCounted('unchanged')) + (await admissionsCounted('skipped'));
    assert.equal(seenAfter, seenBefore, 'the API server never called the webhook for them');
  });

  it('a brand-new namespace: `default` carries the reference at once, the Secret waits for the refresher (measured)', async () => {
    const group = `${suite}-fresh`;
    const accountDelays: number[] = [];
    const namespaces: string[] = [];
    for (let index = 0; index < MEASURED_NAMESPACES; index += 1) {
      const createdAt = Date.now();
      const where = await namespace(`fresh${index}`, true, { [GROUP_LABEL]: group });
      namespaces.push(where);
      // kube-controller-manager creates `default`; the first time it is seen it must already name the Secret.
      const account = await until(`ServiceAccount ${where}/default`, 30_000, () => cluster.core.readNamespacedServiceAccount({ namespace: where, name: 'default' }).catch(() => undefined), 10);
      accountDelays.push(Date.now() - createdAt);
      assert.deepEqual(pullSecretNames(account), [SECRET], `${where}/default was created with the reference`);
      // The Secret it names does not exist yet: nothing creates it before the refresher's provisioning runs.
      await assert.rejects(cluster.core.readNamespacedSecret({ namespace: where, name: SECRET }), /404|not found/i);
    }

    const firstCreatedAt = Date.now();
    const run = await runCli(['refresh', '--kubeconfig', cluster.info.kubeconfig, '--namespace-selector', `${GROUP_LABEL}=${group}`, '--provision-secret-name', SECRET]);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const provisioning = refreshSummaryOf(run).provisioning;
    // The refresher creates the Secret in each namespace and finds every `default` already pointing at it.
    assert.deepEqual(provisioning, { created: MEASURED_NAMESPACES, conflicts: 0, serviceAccountsUpdated: 0, serviceAccountsMissing: 0, failed: 0 });
    for (const where of namespaces) {
      const secret = await cluster.core.readNamespacedSecret({ namespace: where, name: SECRET });
      const expiresAt = parseRfc3339(secret.metadata?.annotations?.[EXPIRES_AT_ANNOTATION]);
      assert.ok(expiresAt && expiresAt.getTime() - Date.now() > 6 * 3_600_000, `${where}/${SECRET} was filled by the webhook`);
      assert.deepEqual(pullSecretNames(await cluster.core.readNamespacedServiceAccount({ namespace: where, name: 'default' })), [SECRET], 'listed once');
    }
    const secretMs = Date.now() - firstCreatedAt;
    console.log(
      `[service-account-injection] namespace created -> default ServiceAccount with imagePullSecrets [${SECRET}]: ${describeMs(accountDelays)}; ` +
        `without the entry it gets the reference only at the next refresher run. The Secret itself: one refresher run ` +
        `(--provision-secret-name) created and filled it in ${MEASURED_NAMESPACES} namespaces in ${secretMs} ms (${run.durationMs} ms ` +
        `for the process) — in a cluster it waits for the CronJob's next run, up to refresher.schedule (30 min by default).`,
    );
    assert.ok(accountDelays.every((ms) => ms < 30_000));
  });

  it('relabelling a namespace enabled later reaches the accounts created from then on only', async () => {
    const where = await namespace('late', false);
    assert.deepEqual(pullSecretNames(await createAccount(where, 'before')), []);
    await labelNamespace(cluster, where, { [NAMESPACE_LABEL]: NAMESPACE_LABEL_VALUE });
    // The API server's namespace lister learns the label through its informer: poll until a new account is patched.
    const probeAccount = await until('a ServiceAccount created after the label to be patched', 20_000, async () => {
      const account = await createAccount(where, uniqueName('after'));
      return pullSecretNames(account).includes(SECRET) ? account : undefined;
    }, 200);
    assert.deepEqual(pullSecretNames(probeAccount), [SECRET]);
    assert.deepEqual(pullSecretNames(await cluster.core.readNamespacedServiceAccount({ namespace: where, name: 'before' })), [], 'earlier accounts are provisioning\'s job');
  });
});
