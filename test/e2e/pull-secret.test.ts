// End to end on a real kube-apiserver: the seed's manifests applied with kubectl, the webhook filling the Secret
// through the API server, and skopeo pulling from a real registry with exactly the credentials ECR issued.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { MANAGED_LABEL, NAMESPACE_LABEL, REGISTRIES_ANNOTATION } from '../../src/common/names.js';
import { createNamespace, deleteNamespaces, enabledNamespaceLabels, ensureCluster, startClusterWebhook, uniqueName, type ClusterWebhook, type TestCluster } from '../../harness/cluster.js';
import { startEcrStandIn, defaultPassword, type EcrStandIn } from '../../harness/ecr-stand-in.js';
import { inspectWithDockerConfig, startLocalRegistry, type LocalRegistry } from '../../harness/registry.js';
import { toolPath } from '../../harness/tools.js';
import { getText } from '../../harness/webhook-process.js';

const run = promisify(execFile);
const ECR_HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

/** The seed's manifest, verbatim but for the names: a labeled namespace and a labeled Secret holding "FAKE". */
function seedManifest(namespace: string, secret: string, extraNamespaceLabels: Record<string, string>, annotations: Record<string, string> = {}): string {
  const secretAnnotations = Object.entries(annotations).map(([key, value]) => `    ${key}: "${value}"`).join('\n');
  const labels = Object.entries(extraNamespaceLabels).map(([key, value]) => `    ${key}: "${value}"`).join('\n');
  return `apiVersion: v1
kind: Namespace
metadata:
  name: ${namespace}
  labels:
    ${NAMESPACE_LABEL}: "enabled"
${labels}
---
apiVersion: v1
kind: Secret
metadata:
  name: ${secret}
  namespace: ${namespace}
  labels:
    ${MANAGED_LABEL}: "true"
  annotations:
${secretAnnotations}
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: "FAKE"
`;
}

async function kubectl(cluster: TestCluster, args: string[], stdin?: string): Promise<string> {
  const child = run(toolPath('kubectl'), ['--kubeconfig', cluster.info.kubeconfig, ...args], { timeout: 30_000 });
  if (stdin !== undefined) child.child.stdin?.end(stdin);
  return (await child).stdout;
}

async function admissionsSeen(webhook: ClusterWebhook): Promise<number> {
  const metrics = (await getText(webhook.process.opsPort, '/metrics')).body;
  return [...metrics.matchAll(/^ecr_anywhere_admissions_total\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

async function dockerConfigOf(cluster: TestCluster, namespace: string, name: string): Promise<string> {
  const secret = await cluster.core.readNamespacedSecret({ namespace, name });
  return Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8');
}

describe('pull secrets on a real API server', { timeout: 240_000 }, () => {
  const runLabel = { 'e2e.ecr-anywhere/run': uniqueName('pull') };
  const registryPassword = `ecr-token-${randomBytes(24).toString('base64url')}`;
  const namespace = uniqueName('pull-enabled');
  const otherNamespace = uniqueName('pull-disabled');
  let cluster: TestCluster;
  let standIn: EcrStandIn;
  let registry: LocalRegistry;
  let webhook: ClusterWebhook;
  const extraNamespaces: string[] = [];

  before(async () => {
    cluster = await ensureCluster();
    // ECR issues exactly the password the registry accepts, for the registry's region.
    standIn = await startEcrStandIn({ passwordFor: (region, n) => (region === 'us-east-1' ? registryPassword : defaultPassword(region, n)) });
    registry = await startLocalRegistry(registryPassword);
    await createNamespace(cluster, namespace, enabledNamespaceLabels(runLabel));
    await createNamespace(cluster, otherNamespace, { ...runLabel });
    webhook = await startClusterWebhook(cluster, { standIn, probeNamespace: namespace, namespaceLabels: runLabel });
  });

  after(async () => {
    await webhook?.stop();
    await registry?.stop();
    await standIn?.close();
    if (cluster) await deleteNamespaces(cluster, [namespace, otherNamespace, ...extraNamespaces]);
  });

  it('fills a Secret created with kubectl from the seed manifest, and the credentials pull the image', async () => {
    await kubectl(cluster, ['apply', '-f', '-'], seedManifest(namespace, 'ecr-secret', runLabel));
    const config = JSON.parse(await dockerConfigOf(cluster, namespace, 'ecr-secret')) as { auths: Record<string, { username: string; password: string }> };
    assert.equal(config.auths[ECR_HOST]?.username, 'AWS');
    assert.equal(config.auths[ECR_HOST]?.password, registryPassword);
    const digest = await inspectWithDockerConfig(registry, JSON.stringify(config), ECR_HOST);
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  });

  it('the registry refuses any other token', async () => {
    const forged = { auths: { [ECR_HOST]: { username: 'AWS', password: 'not-the-issued-token', auth: Buffer.from('AWS:not-the-issued-token').toString('base64') } } };
    await assert.rejects(inspectWithDockerConfig(registry, JSON.stringify(forged), ECR_HOST), /unauthorized|authentication required/i);
  });

  it('never calls the webhook for unlabeled Secrets or namespaces that are not enabled', async () => {
    const seenBefore = await admissionsSeen(webhook);
    await cluster.core.createNamespacedSecret({ namespace, body: { metadata: { name: 'plain' }, type: 'Opaque', stringData: { a: 'b' } } });
    const untouched = await cluster.core.createNamespacedSecret({
      namespace: otherNamespace,
      body: { metadata: { name: 'labeled-elsewhere', labels: { [MANAGED_LABEL]: 'true' } }, type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': '{"auths":{}}' } },
    });
    assert.equal(untouched.metadata?.annotations, undefined);
    assert.equal(await admissionsSeen(webhook), seenBefore, 'the API server called the webhook');
  });

  it('surfaces an ECR refusal as a refused create with the clear message', async () => {
    standIn.behaviour = 'refuse';
    // A region whose token is not cached yet, so the webhook must ask ECR.
    const annotations = { [REGISTRIES_ANNOTATION]: '123456789012.dkr.ecr.eu-west-1.amazonaws.com' };
    try {
      await assert.rejects(kubectl(cluster, ['apply', '-f', '-'], seedManifest(namespace, 'refused', runLabel, annotations)), (error: Error & { stderr?: string }) => {
        assert.match(error.stderr ?? '', /ECR GetAuthorizationToken in region eu-west-1 was refused \(AccessDeniedException/);
        assert.match(error.stderr ?? '', /ECR_ANYWHERE_ECR_REFUSED/);
        return true;
      });
    } finally {
      standIn.behaviour = 'ok';
    }
  });

  it('fails closed when the webhook is down: labeled Secrets are refused, unlabeled ones still work', async () => {
    // A namespace and webhook of its own: stopping the suite's webhook would take it from every other test.
    const downLabel = { 'e2e.ecr-anywhere/run': uniqueName('pull-down') };
    const downNamespace = uniqueName('pull-down');
    await createNamespace(cluster, downNamespace, enabledNamespaceLabels(downLabel));
    extraNamespaces.push(downNamespace);
    const own = await startClusterWebhook(cluster, { standIn, probeNamespace: downNamespace, namespaceLabels: downLabel });
    try {
      await own.process.stop();
      await assert.rejects(kubectl(cluster, ['apply', '-f', '-'], seedManifest(downNamespace, 'while-down', downLabel)), (error: Error & { stderr?: string }) => {
        assert.match(error.stderr ?? '', /failed calling webhook "ecr-anywhere\.centml\.ai"/);
        return true;
      });
      await cluster.core.createNamespacedSecret({ namespace: downNamespace, body: { metadata: { name: 'plain-while-down' }, type: 'Opaque', stringData: { a: 'b' } } });
    } finally {
      await own.stop();
    }
  });
});
