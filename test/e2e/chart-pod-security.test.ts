// The chart's pods are admitted in a namespace that enforces Pod Security "restricted". There is no kubelet (and no
// Deployment or CronJob controller) in the harness, so the test does what those controllers would: it creates Pods
// from the installed Deployment's and CronJob's pod templates, and the API server's PodSecurity admission judges them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { createNamespace, deleteNamespaces, ensureCluster, uniqueName, type TestCluster } from '../../harness/cluster.js';
import { apiWarnings, CHART_DIR, clusterTools, MINIMAL_VALUES, parseObjects, podTemplate, RESTRICTED_NAMESPACE_LABELS, withValuesFile, type ClusterTools, type KubeObject } from '../../harness/helm.js';
import { EDGE_VALUES, TEST_CA_PEM } from '../chart/value-sets.js';

const VALUE_SETS: Record<string, Record<string, unknown>> = {
  'default (tls.mode=self)': { ...MINIMAL_VALUES },
  // Secret, projected-token and extra volumes; files TLS mode.
  'every AWS credential option with manual TLS': {
    ...EDGE_VALUES['every AWS credential option'],
    tls: { mode: 'manual', manual: { secretName: 'webhook-tls', caBundle: TEST_CA_PEM } },
  },
};

describe('Pod Security "restricted"', { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  let tools: ClusterTools;
  const namespace = uniqueName('chart-pss');
  const installed: Array<{ release: string; workloads: KubeObject[] }> = [];

  before(async () => {
    cluster = await ensureCluster();
    tools = await clusterTools(cluster.info.kubeconfig);
    await createNamespace(cluster, namespace, RESTRICTED_NAMESPACE_LABELS);
    for (const values of Object.values(VALUE_SETS)) {
      const release = uniqueName('pss');
      // Scoped so that the registered webhook (no pods behind it) never sees anyone else's Secrets.
      const scoped = { ...values, extraNamespaceLabels: { 'e2e.ecr-anywhere/chart': release } };
      const result = await withValuesFile(scoped, (file) => tools.helm(['install', release, CHART_DIR, '--namespace', namespace, '--values', file]));
      assert.equal(result.code, 0, result.stderr);
      // PodSecurity warns on workloads whose pod template it would refuse.
      assert.deepEqual(apiWarnings(result.stderr), [], `installing ${release} drew warnings`);
      const manifest = await tools.helm(['get', 'manifest', release, '--namespace', namespace]);
      installed.push({ release, workloads: parseObjects(manifest.stdout).filter((o) => o.kind === 'Deployment' || o.kind === 'CronJob') });
    }
  });

  after(async () => {
    for (const { release } of installed) await tools.helm(['uninstall', release, '--namespace', namespace]);
    await deleteNamespaces(cluster, [namespace]);
    await tools.close();
  });

  /** The Pod a controller would create from `workload`'s template. */
  function podFrom(workload: KubeObject): V1Pod {
    const template = podTemplate(workload);
    return { metadata: { generateName: `${workload.metadata.name.slice(0, 50)}-`, labels: template.metadata.labels }, spec: template.spec };
  }

  Object.keys(VALUE_SETS).forEach((name, index) => {
    it(`admits the webhook and refresher pods of the ${name} values`, async () => {
      const { workloads } = installed[index]!;
      assert.deepEqual(workloads.map((w) => w.kind).sort(), ['CronJob', 'Deployment']);
      for (const workload of workloads) {
        const pod = await cluster.core.createNamespacedPod({ namespace, body: podFrom(workload) });
        assert.equal(pod.metadata?.namespace, namespace);
        assert.equal(pod.spec?.securityContext?.runAsNonRoot, true);
      }
    });
  });

  it('is enforced: the same pod with privilege escalation allowed is refused', async () => {
    const deployment = installed[0]!.workloads.find((w) => w.kind === 'Deployment')!;
    const pod = podFrom(deployment);
    const container = pod.spec!.containers[0]!;
    container.securityContext = { ...container.securityContext, allowPrivilegeEscalation: true };
    await assert.rejects(cluster.core.createNamespacedPod({ namespace, body: pod }), (error: unknown) => {
      assert.match(String((error as { body?: unknown }).body), /violates PodSecurity \\"restricted:latest\\": allowPrivilegeEscalation != false/);
      return true;
    });
  });
});
