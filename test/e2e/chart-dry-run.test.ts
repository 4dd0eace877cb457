// Every render of the chart (default and edge values) is accepted by the real kube-apiserver with strict field
// validation, into a namespace that enforces Pod Security "restricted", without a single API warning. Objects of
// cert-manager and the Prometheus Operator are left out: their CRDs are not installed in the harness cluster
// (the chart tests check their fields).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { createNamespace, deleteNamespaces, ensureCluster, uniqueName, type TestCluster } from '../../harness/cluster.js';
import { apiWarnings, clusterTools, helmTemplate, MINIMAL_VALUES, parseObjects, RESTRICTED_NAMESPACE_LABELS, type ClusterTools } from '../../harness/helm.js';
import { EDGE_VALUES } from '../chart/value-sets.js';

const CRD_GROUPS = ['cert-manager.io/', 'monitoring.coreos.com/'];

describe('helm template | kubectl apply --dry-run=server --validate=strict', { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  let tools: ClusterTools;
  const namespace = uniqueName('chart-dry-run');

  before(async () => {
    cluster = await ensureCluster();
    tools = await clusterTools(cluster.info.kubeconfig);
    await createNamespace(cluster, namespace, RESTRICTED_NAMESPACE_LABELS);
  });

  after(async () => {
    await deleteNamespaces(cluster, [namespace]);
    await tools.close();
  });

  const sets: Record<string, Record<string, unknown>> = { 'default (only aws.region)': { ...MINIMAL_VALUES }, ...EDGE_VALUES };
  for (const [name, values] of Object.entries(sets)) {
    it(`accepts every object of the ${name} values`, async () => {
      const rendered = await helmTemplate(values, { namespace, release: uniqueName('dry') });
      assert.equal(rendered.code, 0, rendered.stderr);
      const objects = parseObjects(rendered.stdout);
      const servable = objects.filter((o) => !CRD_GROUPS.some((group) => o.apiVersion.startsWith(group)));
      const applied = await tools.kubectl(
        ['apply', '--server-side', '--field-manager=ecr-anywhere-e2e', '--dry-run=server', '--validate=strict', '-o', 'name', '-f', '-'],
        { input: servable.map((o) => stringify(o)).join('---\n') },
      );
      assert.equal(applied.code, 0, applied.stderr);
      assert.deepEqual(apiWarnings(applied.stderr), []);
      assert.equal(applied.stdout.trim().split('\n').length, servable.length, applied.stdout);
      assert.ok(servable.some((o) => o.kind === 'Deployment'), 'the webhook Deployment is among the checked objects');
    });
  }

  it('is a real check: a field the API does not know and a pod that breaks "restricted" are reported', async () => {
    const rendered = await helmTemplate({ ...MINIMAL_VALUES, containerSecurityContext: { allowPrivilegeEscalation: true } }, { namespace, release: uniqueName('dry') });
    const objects = parseObjects(rendered.stdout);
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    const warned = await tools.kubectl(['apply', '--server-side', '--field-manager=ecr-anywhere-e2e', '--dry-run=server', '--validate=strict', '-f', '-'], {
      input: stringify(deployment),
    });
    assert.match(warned.stderr, /would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false/);

    const unknownField = { ...deployment, spec: { ...(deployment.spec as object), replica: 2 } };
    const refused = await tools.kubectl(['apply', '--server-side', '--field-manager=ecr-anywhere-e2e', '--dry-run=server', '--validate=strict', '-f', '-'], {
      input: stringify(unknownField),
    });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /\.spec\.replica: field not declared in schema/);
  });
});
