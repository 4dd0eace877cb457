// On the real node: `ecr-anywhere status` lists the Pods the kubelet cannot pull for whose imagePullSecrets name a
// managed Secret, with the kubelet's reason next to that Secret's expiry — here a Secret whose credentials the
// registry no longer accepts (the registry moved on to a newer token), and a Pod that names no managed Secret,
// which is left out.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { MANAGED_LABEL, MANAGED_LABEL_VALUE } from '../../src/common/names.js';
import { runCli } from '../../harness/cli-process.js';
import { uniqueName } from '../../harness/cluster.js';
import { ensureNodeCluster, nodeUnavailable, setRegistryPassword, waitForPod, waitingReason, type NodeCluster } from '../../harness/node.js';
import { startPrivateImage, type PrivateImage } from '../../harness/node-private-image.js';

const ECR_HOST = '333333333333.dkr.ecr.us-east-1.amazonaws.com';
const IMAGE = `${ECR_HOST}/insight/app:v1`;

describe('status shows Pods failing to pull with a managed Secret, on a real kubelet', { skip: nodeUnavailable(), timeout: 240_000 }, () => {
  const token = `ecr-token-${randomBytes(24).toString('base64url')}`;
  const runLabel = { 'e2e.ecr-anywhere/run': uniqueName('insight') };
  const namespace = uniqueName('insight');
  let cluster: NodeCluster;
  let fixture: PrivateImage;

  before(async () => {
    cluster = await ensureNodeCluster();
    fixture = await startPrivateImage(cluster, {
      accountId: '333333333333',
      repositoryTag: 'insight/app:v1',
      registryPassword: token,
      passwordFor: () => token,
      namespace,
      namespaceLabels: runLabel,
    });
  });

  after(async () => {
    await fixture?.stop();
  });

  it('names the Pod, the kubelet reason and the managed Secret with its expiry; Pods without one are left out', async () => {
    await cluster.core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'ecr-secret', labels: { [MANAGED_LABEL]: MANAGED_LABEL_VALUE } }, type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': '{"auths":{}}' } },
    });
    // The registry stops accepting the token the Secret holds (as after a rotation nobody refreshed).
    await setRegistryPassword(fixture.registry, `newer-${token}`);
    const container = { name: 'app', image: IMAGE, imagePullPolicy: 'Always' };
    await cluster.core.createNamespacedPod({ namespace, body: { metadata: { name: 'web' }, spec: { containers: [container], imagePullSecrets: [{ name: 'ecr-secret' }] } } });
    await cluster.core.createNamespacedPod({ namespace, body: { metadata: { name: 'unmanaged' }, spec: { containers: [container] } } });
    for (const pod of ['web', 'unmanaged']) {
      await waitForPod(cluster, namespace, pod, (p) => ['ErrImagePull', 'ImagePullBackOff'].includes(waitingReason(p) ?? ''), 'failing to pull');
    }

    const table = await runCli(['status', '--kubeconfig', cluster.info.kubeconfig, '--namespace', namespace]);
    assert.equal(table.code, 0, table.stderr);
    const [, failures = ''] = table.stdout.split('Pods failing to pull with a managed Secret:\n');
    const lines = failures.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^NAMESPACE\s+POD\s+CONTAINER\s+REASON\s+SECRET\s+SECRET EXPIRES IN\s+MESSAGE$/);
    assert.equal(lines.length, 2, `expected exactly the web Pod:\n${table.stdout}`);
    assert.match(lines[1] ?? '', new RegExp(`^${namespace}\\s+web\\s+app\\s+(ErrImagePull|ImagePullBackOff)\\s+ecr-secret\\s+(1[01]h \\d+m)\\s+\\S`));

    const json = await runCli(['status', '-o', 'json', '--kubeconfig', cluster.info.kubeconfig, '--namespace', namespace]);
    const report = JSON.parse(json.stdout) as { pullFailures: Array<{ pod: string; secret: string; reason: string; message: string; secretState: string; secretExpiresAt: string }> };
    assert.deepEqual(report.pullFailures.map((row) => [row.pod, row.secret, row.secretState]), [['web', 'ecr-secret', 'fresh']]);
    assert.match(report.pullFailures[0]?.message ?? '', /401 Unauthorized|unauthorized|authorization failed/i);
    assert.ok(!json.stdout.includes(token), 'status printed the token');
  });
});
