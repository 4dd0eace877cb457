// On the real node, token rotation end to end: the registry accepts only the token the ECR stand-in issued most
// recently. Once the old token is retired and `ecr-anywhere refresh` has run, a new Pod pulls with the refreshed
// Secret, while a Pod using a copy of the old Secret fails to pull.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { EXPIRES_AT_ANNOTATION, MANAGED_LABEL, MANAGED_LABEL_VALUE } from '../../src/common/names.js';
import { refreshSummaryOf, runCli } from '../../harness/cli-process.js';
import { uniqueName } from '../../harness/cluster.js';
import { ensureNodeCluster, isRunning, nodeUnavailable, setRegistryPassword, waitForPod, waitingReason, type NodeCluster } from '../../harness/node.js';
import { startPrivateImage, type PrivateImage } from '../../harness/node-private-image.js';
import type { LocalRegistry } from '../../harness/registry.js';

const ECR_HOST = '210987654321.dkr.ecr.us-east-1.amazonaws.com';
const IMAGE = `${ECR_HOST}/rotation/app:v1`;
// Tokens live 11 h 5 s; with a threshold of 10 h 59 m 55 s a filled Secret is stale 10 s later, and by then the
// webhook's cached token has less than the 11 h it hands out, so a refresh fetches a new one.
const TOKEN_LIFETIME_MS = 11 * 3_600_000 + 5_000;
const REFRESH_THRESHOLD = '10h59m55s';

describe('token rotation on a real kubelet', { skip: nodeUnavailable(), timeout: 300_000 }, () => {
  const tokens = [1, 2].map((n) => `ecr-token-${n}-${randomBytes(24).toString('base64url')}`) as [string, string];
  const runLabel = { 'e2e.ecr-anywhere/run': uniqueName('rotation') };
  const namespace = uniqueName('rotation');
  let current = tokens[0];
  let cluster: NodeCluster;
  let fixture: PrivateImage;
  let registry: LocalRegistry;

  const pod = (name: string, secret: string): Parameters<NodeCluster['core']['createNamespacedPod']>[0] => ({
    namespace,
    body: { metadata: { name }, spec: { containers: [{ name: 'app', image: IMAGE, imagePullPolicy: 'Always' }], imagePullSecrets: [{ name: secret }] } },
  });
  const passwordIn = async (secret: string): Promise<string | undefined> => {
    const data = (await cluster.core.readNamespacedSecret({ namespace, name: secret })).data?.['.dockerconfigjson'] ?? '';
    return (JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { auths: Record<string, { password?: string }> }).auths[ECR_HOST]?.password;
  };

  before(async () => {
    cluster = await ensureNodeCluster();
    fixture = await startPrivateImage(cluster, {
      accountId: '210987654321',
      repositoryTag: 'rotation/app:v1',
      registryPassword: tokens[0],
      passwordFor: () => current,
      tokenLifetimeMs: TOKEN_LIFETIME_MS,
      refreshThreshold: REFRESH_THRESHOLD,
      namespace,
      namespaceLabels: runLabel,
    });
    registry = fixture.registry;
  });

  after(async () => {
    await fixture?.stop();
  });

  it('pulls with the first token, then after rotation and a refresh only the refreshed Secret pulls', async () => {
    await cluster.core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'pull', labels: { [MANAGED_LABEL]: MANAGED_LABEL_VALUE } }, type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': '{"auths":{}}' } },
    });
    assert.equal(await passwordIn('pull'), tokens[0]);
    await cluster.core.createNamespacedPod(pod('before-rotation', 'pull'));
    await waitForPod(cluster, namespace, 'before-rotation', isRunning, 'Running with the first token');

    // A copy of the Secret as it is now (not managed: nothing will refresh it).
    const old = await cluster.core.readNamespacedSecret({ namespace, name: 'pull' });
    await cluster.core.createNamespacedSecret({ namespace, body: { metadata: { name: 'old-copy' }, type: old.type, data: old.data } });

    // ECR rotates: it now issues the second token, and the registry accepts only that one.
    current = tokens[1];
    registry = await setRegistryPassword(registry, tokens[1]);
    // Wait until the Secret's own expiry enters the refresh threshold (10 s after it was filled).
    const expiresAt = Date.parse(old.metadata?.annotations?.[EXPIRES_AT_ANNOTATION] ?? '');
    assert.ok(Number.isFinite(expiresAt), 'the Secret has no expiry annotation');
    const staleFrom = expiresAt - (TOKEN_LIFETIME_MS - 10_000);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, staleFrom - Date.now()) + 500));

    const refresh = await runCli(['refresh', '--kubeconfig', cluster.info.kubeconfig, '--namespace-selector', Object.entries(runLabel).map(([k, v]) => `${k}=${v}`).join(',')], {
      env: { REFRESH_THRESHOLD },
    });
    assert.equal(refresh.code, 0, `${refresh.stdout}\n${refresh.stderr}`);
    assert.equal(refreshSummaryOf(refresh).refreshed, 1);
    assert.equal(await passwordIn('pull'), tokens[1], 'the refresh did not bring the new token');

    await cluster.core.createNamespacedPod(pod('after-rotation', 'pull'));
    await cluster.core.createNamespacedPod(pod('old-credentials', 'old-copy'));
    await waitForPod(cluster, namespace, 'after-rotation', isRunning, 'Running with the refreshed Secret');
    const refused = await waitForPod(cluster, namespace, 'old-credentials', (p) => ['ErrImagePull', 'ImagePullBackOff'].includes(waitingReason(p) ?? ''), 'refused');
    assert.match(refused.status?.containerStatuses?.[0]?.state?.waiting?.message ?? '', /401 Unauthorized|unauthorized|authorization failed/i);
  });
});
