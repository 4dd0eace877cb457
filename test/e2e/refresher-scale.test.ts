// 1 000 managed Secrets across 100 namespaces on the real API server: the refresher's list calls grow with pages
// (limit + continue), not with namespaces, and it writes exactly the stale Secrets.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EXPIRES_AT_ANNOTATION } from '../../src/common/names.js';
import { formatRfc3339 } from '../../src/common/time.js';
import { refreshSummaryOf, runCli } from '../../harness/cli-process.js';
import {
  countManagedSecrets,
  deleteNamespaces,
  ensureCluster,
  numberedNames,
  populateNamespaces,
  startClusterWebhook,
  uniqueName,
  type ClusterWebhook,
  type TestCluster,
} from '../../harness/cluster.js';
import { startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';

const SCALE_LABEL = 'e2e.ecr-anywhere/scale';
const NAMESPACES = 100;
const PER_NAMESPACE = 10;
const STALE_PER_NAMESPACE = 4;


async function resourceVersions(cluster: TestCluster, namespaces: readonly string[]): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  await Promise.all(
    namespaces.map(async (namespace) => {
      for (const secret of (await cluster.core.listNamespacedSecret({ namespace })).items) {
        versions.set(`${namespace}/${secret.metadata?.name}`, secret.metadata?.resourceVersion ?? '');
      }
    }),
  );
  return versions;
}

describe('ecr-anywhere refresh with 1 000 Secrets in 100 namespaces', { timeout: 300_000 }, () => {
  const run = uniqueName('rfs');
  let cluster: TestCluster;
  let standIn: EcrStandIn;
  let webhook: ClusterWebhook | undefined;
  let namespaces: string[] = [];
  const scope = (): string[] => ['--kubeconfig', cluster.info.kubeconfig, '--namespace-selector', `${SCALE_LABEL}=${run}`];

  before(async () => {
    cluster = await ensureCluster();
    standIn = await startEcrStandIn();
    const fresh = { [EXPIRES_AT_ANNOTATION]: formatRfc3339(new Date(Date.now() + 11 * 3_600_000)) };
    namespaces = numberedNames(run, NAMESPACES);
    await populateNamespaces(cluster, {
      namespaces,
      perNamespace: PER_NAMESPACE,
      labels: { [SCALE_LABEL]: run },
      annotationsFor: (index) => (index < STALE_PER_NAMESPACE ? undefined : fresh),
    });
    webhook = await startClusterWebhook(cluster, { standIn, probeNamespace: namespaces[0]!, namespaceLabels: { [SCALE_LABEL]: run } });
  });

  after(async () => {
    await webhook?.stop();
    await standIn?.close();
    if (cluster) await deleteNamespaces(cluster, namespaces);
  });

  it('lists page by page, writes exactly the 400 stale Secrets and verifies each', async () => {
    const before = await resourceVersions(cluster, namespaces);
    const managedInCluster = await countManagedSecrets(cluster);
    const result = await runCli(['refresh', '--page-size', '100', ...scope()], { timeoutMs: 180_000 });
    assert.equal(result.code, 0, result.stdout.slice(-4_000));
    const summary = refreshSummaryOf(result);
    const stale = NAMESPACES * STALE_PER_NAMESPACE;
    assert.deepEqual([summary.found, summary.stale, summary.fresh, summary.refreshed, summary.failed], [1_000, stale, 600, stale, 0]);
    assert.deepEqual([summary.apiCalls.patch, summary.apiCalls.event], [stale, stale]);

    // Secrets: one call per 100 managed Secrets in the whole cluster, in three type lists (each may end on a partial
    // page); namespaces: one or two pages of 100.
    const secretPages = Math.ceil(managedInCluster / 100);
    assert.ok(summary.apiCalls.list >= secretPages && summary.apiCalls.list <= secretPages + 4, `list calls ${summary.apiCalls.list}, ${secretPages} secret pages`);
    assert.ok(summary.apiCalls.list < NAMESPACES / 4, 'not one call per namespace');

    const afterRun = await resourceVersions(cluster, namespaces);
    let written = 0;
    for (const [key, version] of before) {
      const isStale = Number(key.split('creds-')[1]) < STALE_PER_NAMESPACE;
      if (afterRun.get(key) !== version) written += 1;
      assert.equal(afterRun.get(key) !== version, isStale, `${key} ${isStale ? 'must' : 'must not'} be written`);
    }
    assert.equal(written, stale);
    process.stdout.write(`# refresher 1000/100: ${result.durationMs} ms, list calls ${summary.apiCalls.list} at page size 100\n`);
  });

  it('larger pages mean fewer list calls for the same Secrets', async () => {
    // Both dry runs write nothing, so this holds whether or not the other test has refreshed the stale ones yet.
    const listCalls = async (pageSize: number): Promise<number> => {
      const result = await runCli(['refresh', '--page-size', String(pageSize), '--dry-run', ...scope()]);
      assert.equal(result.code, 0, result.stdout.slice(-4_000));
      const summary = refreshSummaryOf(result);
      assert.deepEqual([summary.found, summary.stale + summary.fresh, summary.apiCalls.patch], [1_000, 1_000, 0]);
      return summary.apiCalls.list;
    };
    const [small, large] = [await listCalls(100), await listCalls(500)];
    // Each of the three type lists and the namespace list may end on a partial page or an empty last one.
    const secretPages = Math.ceil((await countManagedSecrets(cluster)) / 500);
    assert.ok(large < small, `list calls ${large} at page size 500, ${small} at 100`);
    assert.ok(large <= secretPages + 6, `list calls ${large}, ${secretPages} secret pages`);
  });
});
