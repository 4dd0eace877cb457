// ECR Public on a real kube-apiserver: `public.ecr.aws` in the registries annotation makes the webhook ask ECR
// Public's GetAuthorizationToken (the real SDK, @aws-sdk/client-ecr-public, reaching the stand-in through
// AWS_ENDPOINT_URL_ECR_PUBLIC), and the Secret gets a `public.ecr.aws` auths entry holding exactly the token issued,
// which skopeo pulls with from a real registry standing in for public.ecr.aws. ECR Public's refusal is a coded
// refusal of the write; the refresher refreshes such a Secret like any other.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { V1Secret } from '@kubernetes/client-node';
import { EXPIRES_AT_ANNOTATION, REGISTRIES_ANNOTATION } from '../../src/common/names.js';
import { formatRfc3339, parseRfc3339 } from '../../src/common/time.js';
import { refreshSummaryOf, runCli } from '../../harness/cli-process.js';
import {
  createNamespace,
  createSecret,
  deleteNamespaces,
  enabledNamespaceLabels,
  ensureCluster,
  labelNamespace,
  startClusterWebhook,
  uniqueName,
  type ClusterWebhook,
  type TestCluster,
} from '../../harness/cluster.js';
import { defaultPassword, ECR_PUBLIC_SCOPE, startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';
import { inspectWithDockerConfig, startLocalRegistry, type LocalRegistry } from '../../harness/registry.js';

const PRIVATE_HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const HOUR = 3_600_000;

function authsOf(secret: V1Secret): Record<string, { username?: string; password?: string }> {
  return (JSON.parse(Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8')) as { auths: Record<string, { username?: string; password?: string }> }).auths;
}

describe('ECR Public credentials on a real API server', { timeout: 240_000 }, () => {
  const runLabel = { 'e2e.ecr-anywhere/run': uniqueName('ecr-public') };
  const namespace = uniqueName('ecr-public');
  const namespaces = [namespace];
  /** Every ECR Public token the stand-in issues: the registry accepts the first one (and its successors, see below). */
  const publicPasswords: string[] = [];
  let cluster: TestCluster;
  let standIn: EcrStandIn;
  let registry: LocalRegistry;
  let webhook: ClusterWebhook;
  const firstPublicPassword = `ecr-public-${randomBytes(24).toString('base64url')}`;

  before(async () => {
    cluster = await ensureCluster();
    // The first ECR Public token is the one password the registry standing in for public.ecr.aws accepts; the
    // webhook's cache hands that same token to every later Secret of this suite.
    standIn = await startEcrStandIn({
      passwordFor: (scope, n) => {
        if (scope !== ECR_PUBLIC_SCOPE) return defaultPassword(scope, n);
        const password = publicPasswords.length === 0 ? firstPublicPassword : defaultPassword(scope, n);
        publicPasswords.push(password);
        return password;
      },
    });
    registry = await startLocalRegistry(firstPublicPassword);
    await createNamespace(cluster, namespace, enabledNamespaceLabels(runLabel));
    webhook = await startClusterWebhook(cluster, { standIn, probeNamespace: namespace, namespaceLabels: runLabel });
  });

  after(async () => {
    await webhook?.stop();
    await registry?.stop();
    await standIn?.close();
    if (cluster) await deleteNamespaces(cluster, namespaces);
  });

  it("writes ECR Public's token under public.ecr.aws next to the private registry's, and skopeo pulls with it", async () => {
    const stored = await createSecret(cluster, { namespace, name: 'mixed', annotations: { [REGISTRIES_ANNOTATION]: `public.ecr.aws,${PRIVATE_HOST}` } });
    const auths = authsOf(stored);
    assert.deepEqual(Object.keys(auths).sort(), [PRIVATE_HOST, 'public.ecr.aws']);
    assert.equal(auths['public.ecr.aws']?.username, 'AWS');
    assert.equal(auths['public.ecr.aws']?.password, firstPublicPassword, 'the token ECR Public issued');
    assert.notEqual(auths[PRIVATE_HOST]?.password, firstPublicPassword, "the private registry has ECR's own token");
    const publicCalls = standIn.calls.filter((call) => call.target === 'SpencerFrontendService.GetAuthorizationToken');
    assert.ok(publicCalls.length >= 1, 'ECR Public was asked');
    assert.deepEqual([...new Set(publicCalls.map((call) => call.region))], ['us-east-1'], 'ECR Public is always signed for us-east-1');
    assert.ok((parseRfc3339(stored.metadata?.annotations?.[EXPIRES_AT_ANNOTATION])?.getTime() ?? 0) - Date.now() > 11 * HOUR);
    const digest = await inspectWithDockerConfig(registry, JSON.stringify({ auths }), 'public.ecr.aws');
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  });

  it("caches ECR Public's token like the others: a second Secret costs no call", async () => {
    await createSecret(cluster, { namespace, name: 'public-first', annotations: { [REGISTRIES_ANNOTATION]: 'public.ecr.aws' } });
    const before = standIn.calls.filter((call) => call.target === 'SpencerFrontendService.GetAuthorizationToken').length;
    const second = await createSecret(cluster, { namespace, name: 'public-second', annotations: { [REGISTRIES_ANNOTATION]: 'public.ecr.aws' } });
    assert.deepEqual(Object.keys(authsOf(second)), ['public.ecr.aws']);
    assert.equal(authsOf(second)['public.ecr.aws']?.password, publicPasswords.at(-1));
    assert.equal(standIn.calls.filter((call) => call.target === 'SpencerFrontendService.GetAuthorizationToken').length, before);
  });

  it("surfaces ECR Public's refusal as a refused write with its code", async () => {
    // A webhook of its own: it holds no ECR Public token yet, so it must ask (and be refused).
    const ownLabel = { 'e2e.ecr-anywhere/run': uniqueName('ecr-public-refused') };
    const own = uniqueName('ecr-public-refused');
    namespaces.push(own);
    await createNamespace(cluster, own, enabledNamespaceLabels(ownLabel));
    const refusing = await startClusterWebhook(cluster, { standIn, probeNamespace: own, namespaceLabels: ownLabel });
    standIn.publicBehaviour = 'refuse';
    try {
      await assert.rejects(createSecret(cluster, { namespace: own, name: 'refused', annotations: { [REGISTRIES_ANNOTATION]: 'public.ecr.aws' } }), (error: Error & { body?: string }) => {
        const message = error.body ?? error.message;
        assert.match(message, /ECR Public GetAuthorizationToken \(for public\.ecr\.aws, in region us-east-1\) was refused \(AccessDeniedException/);
        assert.match(message, /ECR_ANYWHERE_ECR_REFUSED/);
        return true;
      });
      await assert.rejects(cluster.core.readNamespacedSecret({ namespace: own, name: 'refused' }), /404|not found/i);
    } finally {
      standIn.publicBehaviour = 'ok';
      await refusing.stop();
    }
  });

  it('the refresher refreshes a stale public.ecr.aws Secret', async () => {
    const own = uniqueName('ecr-public-refresh');
    const group = { 'e2e.ecr-anywhere/ecr-public-refresh': own };
    namespaces.push(own);
    await createNamespace(cluster, own, enabledNamespaceLabels(group));
    // Stored before the webhook selects the namespace: it keeps this stale state until the refresher bumps it.
    await createSecret(cluster, {
      namespace: own,
      name: 'stale',
      annotations: { [REGISTRIES_ANNOTATION]: 'public.ecr.aws', [EXPIRES_AT_ANNOTATION]: formatRfc3339(new Date(Date.now() + HOUR)) },
    });
    await labelNamespace(cluster, own, runLabel);
    const result = await runCli(['refresh', '--kubeconfig', cluster.info.kubeconfig, '--namespace-selector', `e2e.ecr-anywhere/ecr-public-refresh=${own}`]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.deepEqual([refreshSummaryOf(result).refreshed, refreshSummaryOf(result).failed], [1, 0]);
    const refreshed = await cluster.core.readNamespacedSecret({ namespace: own, name: 'stale' });
    assert.equal(authsOf(refreshed)['public.ecr.aws']?.password, publicPasswords.at(-1));
    assert.ok((parseRfc3339(refreshed.metadata?.annotations?.[EXPIRES_AT_ANNOTATION])?.getTime() ?? 0) - Date.now() > 11 * HOUR);
  });
});
