// On the real node: the seed's manifest applied as it stands, and a real kubelet pulling the private image through
// the Secret the webhook filled — containerd's only way to the "ECR" host is the local registry, which accepts
// exactly the token the ECR stand-in issued. A wrong password, or no Secret, ends in ErrImagePull / ImagePullBackOff.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { V1Pod } from '@kubernetes/client-node';
import { createNamespace, enabledNamespaceLabels, deleteNamespaces, startClusterWebhook, uniqueName, type ClusterWebhook } from '../../harness/cluster.js';
import { startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';
import {
  deleteNamespaceAndWait,
  ensureNodeCluster,
  forgetImage,
  isRunning,
  lookupsLogged,
  mirrorEcrHost,
  nodeUnavailable,
  podEvents,
  pushImage,
  registryFiles,
  removeMirror,
  waitForPod,
  waitingReason,
  type NodeCluster,
} from '../../harness/node.js';
import { startLocalRegistry, type LocalRegistry } from '../../harness/registry.js';
import { SEED_ECR_HOST, SEED_IMAGE, SEED_MANIFEST, SEED_NAMESPACE, SEED_POD, SEED_REPOSITORY_TAG, SEED_SECRET } from '../../harness/seed-manifest.js';
import { toolPath } from '../../harness/tools.js';

const run = promisify(execFile);
const PULL_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff']);

function pullingPod(name: string, secret: string | undefined): V1Pod {
  return {
    metadata: { name },
    spec: {
      containers: [{ name: 'app', image: SEED_IMAGE, imagePullPolicy: 'Always' }],
      ...(secret ? { imagePullSecrets: [{ name: secret }] } : {}),
    },
  };
}

describe('the seed manifest on a real kubelet', { skip: nodeUnavailable(), timeout: 300_000 }, () => {
  const token = `ecr-token-${randomBytes(24).toString('base64url')}`;
  const probeNamespace = uniqueName('seed-probe');
  let cluster: NodeCluster;
  let standIn: EcrStandIn;
  let registry: LocalRegistry;
  let webhook: ClusterWebhook;

  before(async () => {
    cluster = await ensureNodeCluster();
    await deleteNamespaceAndWait(cluster, SEED_NAMESPACE); // left by `npm run demo`, for instance
    standIn = await startEcrStandIn({ accountId: '544849402588', passwordFor: () => token });
    registry = await startLocalRegistry(token);
    await pushImage(registry, cluster.node.images.test, SEED_REPOSITORY_TAG);
    await mirrorEcrHost(cluster.node, SEED_ECR_HOST, registry);
    await forgetImage(cluster.node, SEED_IMAGE);
    await createNamespace(cluster, probeNamespace, enabledNamespaceLabels());
    webhook = await startClusterWebhook(cluster, { standIn, probeNamespace });
  });

  after(async () => {
    if (cluster) {
      await deleteNamespaces(cluster, [probeNamespace]);
      await deleteNamespaceAndWait(cluster, SEED_NAMESPACE).catch(() => undefined);
      await removeMirror(cluster.node, SEED_ECR_HOST);
    }
    await webhook?.stop();
    await registry?.stop();
    await standIn?.close();
  });

  it('runs test-pod from the private image, pulled with the credentials the webhook wrote into ecr-secret', async () => {
    const applied = run(toolPath('kubectl'), ['--kubeconfig', cluster.info.kubeconfig, 'apply', '-f', '-'], { timeout: 30_000 });
    applied.child.stdin?.end(SEED_MANIFEST);
    await applied;

    const secret = await cluster.core.readNamespacedSecret({ namespace: SEED_NAMESPACE, name: SEED_SECRET });
    const config = JSON.parse(Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8')) as { auths: Record<string, { password?: string }> };
    assert.equal(config.auths[SEED_ECR_HOST]?.password, token, 'the webhook did not fill ecr-secret with the issued token');

    const pod = await waitForPod(cluster, SEED_NAMESPACE, SEED_POD, isRunning, 'Running');
    assert.equal(pod.spec?.nodeName, cluster.node.name);
    const events = await podEvents(cluster, SEED_NAMESPACE, SEED_POD);
    assert.ok(
      events.some((event) => event.startsWith(`Pulled: Successfully pulled image "${SEED_IMAGE}"`)),
      `the kubelet did not pull the image (events: ${events.join(' | ')})`,
    );
    // The registry served the manifest to containerd: it accepts only user AWS with the issued token, so a 200 means
    // containerd sent the Secret's credentials (to the mirror, for the ECR host).
    const log = await readFile(registryFiles(registry).log, 'utf8');
    const manifest = `/v2/${SEED_REPOSITORY_TAG.replace(':', '/manifests/')}`;
    const served = log.split('\n').filter((line) => line.includes('msg="response completed"') && line.includes(manifest) && line.includes('useragent="containerd/'));
    assert.ok(
      served.some((line) => line.includes('http.response.status=200')),
      `the registry did not serve ${manifest} to containerd:\n${log.split('\n').filter((line) => line.includes(manifest)).join('\n')}`,
    );
  });

  it('the same Pod with a wrong password in its Secret ends in ErrImagePull, then ImagePullBackOff', async () => {
    const wrong = `wrong-${token}`;
    await cluster.core.createNamespacedSecret({
      namespace: SEED_NAMESPACE,
      body: {
        metadata: { name: 'wrong-secret' },
        type: 'kubernetes.io/dockerconfigjson',
        stringData: { '.dockerconfigjson': JSON.stringify({ auths: { [SEED_ECR_HOST]: { username: 'AWS', password: wrong, auth: Buffer.from(`AWS:${wrong}`).toString('base64') } } }) },
      },
    });
    await cluster.core.createNamespacedPod({ namespace: SEED_NAMESPACE, body: pullingPod('wrong-password', 'wrong-secret') });
    const failed = await waitForPod(cluster, SEED_NAMESPACE, 'wrong-password', (pod) => PULL_FAILURES.has(waitingReason(pod) ?? ''), 'failing to pull');
    assert.match(failed.status?.containerStatuses?.[0]?.state?.waiting?.message ?? '', /401 Unauthorized|authorization failed|unauthorized/i);
    await waitForPod(cluster, SEED_NAMESPACE, 'wrong-password', (pod) => waitingReason(pod) === 'ImagePullBackOff', 'in ImagePullBackOff');
  });

  it('the same Pod without the Secret ends in ErrImagePull, then ImagePullBackOff', async () => {
    await cluster.core.createNamespacedPod({ namespace: SEED_NAMESPACE, body: pullingPod('no-secret', undefined) });
    await waitForPod(cluster, SEED_NAMESPACE, 'no-secret', (pod) => PULL_FAILURES.has(waitingReason(pod) ?? ''), 'failing to pull');
    await waitForPod(cluster, SEED_NAMESPACE, 'no-secret', (pod) => waitingReason(pod) === 'ImagePullBackOff', 'in ImagePullBackOff');
  });

  it('nothing left the namespace: no default route, and neither containerd nor the kubelet logged a name lookup', async () => {
    const { stdout } = await run('ip', ['route', 'show', 'default'], { timeout: 10_000 });
    assert.equal(stdout.trim(), '', 'the node namespace has a default route');
    assert.deepEqual(await lookupsLogged(cluster.node), []);
  });
});
