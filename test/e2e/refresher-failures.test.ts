// The refresher when the cluster is not on its side: no RBAC at all, read-only RBAC, an API server that is not
// there, and one that accepts connections but never answers. Each ends in a clear message and exit code 1 —
// never a crash, never a hang.
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { refreshSummaryOf, runCli } from '../../harness/cli-process.js';
import {
  createNamespace,
  createSecret,
  deleteNamespaces,
  enabledNamespaceLabels,
  ensureCluster,
  kubeconfigForServer,
  kubeconfigForUnreachableServer,
  kubeconfigForUser,
  uniqueName,
  type TestCluster,
} from '../../harness/cluster.js';

const GROUP_LABEL = 'e2e.ecr-anywhere/group';


describe('ecr-anywhere refresh when the cluster refuses or is away', { timeout: 120_000 }, () => {
  const suite = uniqueName('rff');
  const namespace = `${suite}-ns`;
  const readOnlyUser = `${suite}-reader`;
  let cluster: TestCluster;

  before(async () => {
    cluster = await ensureCluster();
    await createNamespace(cluster, namespace, enabledNamespaceLabels({ [GROUP_LABEL]: suite }));
    for (const name of ['one', 'two']) await createSecret(cluster, { namespace, name });
  });

  after(async () => {
    if (!cluster) return;
    await deleteNamespaces(cluster, [namespace]);
    await cluster.rbac.deleteClusterRoleBinding({ name: readOnlyUser }).catch(() => undefined);
    await cluster.rbac.deleteClusterRole({ name: readOnlyUser }).catch(() => undefined);
  });

  it('a user without any RBAC: exit 1 with the API server\'s forbidden message, no crash', async () => {
    const kubeconfig = await kubeconfigForUser(cluster, `${suite}-nobody`);
    const result = await runCli(['refresh', '--kubeconfig', kubeconfig]);
    assert.equal(result.code, 1, result.stdout);
    const summary = refreshSummaryOf(result);
    assert.equal(summary.level, 'error');
    assert.match(String(summary.error), /forbidden: User "rff-[0-9a-f]+-nobody" cannot list resource "(secrets|namespaces)"/);
    assert.equal(summary.apiCalls.patch, 0);
    assert.equal(result.stderr, '', 'a clean log line, not a stack trace');
  });

  it('a user who may list but not patch: each stale Secret fails with the reason, Events fail too, exit 1', async () => {
    await cluster.rbac.createClusterRole({
      body: {
        metadata: { name: readOnlyUser },
        rules: [
          { apiGroups: [''], resources: ['secrets'], verbs: ['list'] },
          { apiGroups: [''], resources: ['namespaces'], verbs: ['list'] },
        ],
      },
    });
    await cluster.rbac.createClusterRoleBinding({
      body: {
        metadata: { name: readOnlyUser },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: readOnlyUser },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: readOnlyUser }],
      },
    });
    const kubeconfig = await kubeconfigForUser(cluster, readOnlyUser);
    // The authorizer learns about new bindings from a watch: wait until the grant is in effect.
    const asReader = new KubeConfig();
    asReader.loadFromFile(kubeconfig);
    const readerApi = asReader.makeApiClient(CoreV1Api);
    const deadline = Date.now() + 15_000;
    while (!(await readerApi.listNamespacedSecret({ namespace, limit: 1 }).then(() => true, () => false))) {
      assert.ok(Date.now() < deadline, 'the ClusterRoleBinding never took effect');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const result = await runCli(['refresh', '--kubeconfig', kubeconfig, '--namespace-selector', `${GROUP_LABEL}=${suite}`]);
    assert.equal(result.code, 1, result.stdout);
    const summary = refreshSummaryOf(result);
    assert.deepEqual([summary.found, summary.stale, summary.failed, summary.eventsFailed], [2, 2, 2, 2]);
    const failures = result.logLines.filter((line) => line.msg === 'refresh failed');
    assert.equal(failures.length, 2);
    for (const failure of failures) assert.match(String(failure.error), /cannot patch resource "secrets"/);
    // 403 is not retried: one patch per Secret.
    assert.equal(summary.apiCalls.patch, 2);
  });

  it('an unreachable API server: retried with backoff, then exit 1 naming the cause', async () => {
    const kubeconfig = await kubeconfigForUnreachableServer(cluster);
    const result = await runCli(['refresh', '--kubeconfig', kubeconfig], { timeoutMs: 30_000 });
    assert.equal(result.code, 1);
    const summary = refreshSummaryOf(result);
    assert.match(String(summary.error), /API server unreachable \(ECONNREFUSED\)/);
    assert.equal(summary.apiCalls.list, 16, 'four list calls (namespaces; managed Secrets of type dockerconfigjson, Opaque, any other type), four attempts each');
    assert.ok(result.durationMs < 20_000, `took ${result.durationMs} ms`);
  });

  it('an API server that never answers: each request gives up at --request-timeout, exit 1', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const kubeconfig = await kubeconfigForServer(cluster, `https://127.0.0.1:${(silent.address() as AddressInfo).port}`);
      const result = await runCli(['refresh', '--kubeconfig', kubeconfig, '--request-timeout', '1s'], { timeoutMs: 30_000 });
      assert.equal(result.code, 1);
      assert.match(String(refreshSummaryOf(result).error), /no answer from the API server within 1s/);
      assert.ok(result.durationMs < 20_000, `took ${result.durationMs} ms`);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('from a laptop: KUBECONFIG and --context choose the cluster; an unknown context is a clear exit 1', async () => {
    const env = { KUBECONFIG: cluster.info.kubeconfig };
    const status = await runCli(['status', '--context', 'ecr-anywhere', '--namespace-selector', `${GROUP_LABEL}=${suite}`], { env });
    assert.equal(status.code, 1, 'its two Secrets were never filled');
    assert.match(status.stdout, new RegExp(`${namespace}\\s+one\\s+\\(default\\)\\s+-\\s+-\\s+yes \\(missing\\)`));
    const result = await runCli(['refresh', '--context', 'nope'], { env });
    assert.equal(result.code, 1);
    const failure = result.logLines.find((line) => line.msg === 'refresh run failed: no usable Kubernetes client configuration');
    assert.equal(failure?.error, 'context "nope" is not in the kubeconfig');
  });

  it('bad options exit 2 before touching the cluster', async () => {
    const result = await runCli(['refresh', '--threshold', 'soon']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /REFRESH_THRESHOLD must be a duration such as 6h, 90m or 30s, got "soon"/);
  });
});
