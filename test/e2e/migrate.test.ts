// `ecr-anywhere migrate` as the built CLI against the real kube-apiserver, with the real webhook registered: for each
// peer, its Secret made as the peer makes it; the dry run prints the table and changes nothing; --apply labels the
// Secret (name kept) and its namespace, the webhook fills it on that update with the ECR stand-in's token, and
// skopeo pulls from the local registry with exactly that entry. Wrong-type Secrets and API refusals are reported.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { V1Secret } from '@kubernetes/client-node';
import { registryOfAuthKey } from '../../src/admission/docker-config.js';
import { MANAGED_LABEL, NAMESPACE_LABEL, REGISTRIES_ANNOTATION } from '../../src/common/names.js';
import { runCli, type CliResult } from '../../harness/cli-process.js';
import { createNamespace, deleteNamespaces, enabledNamespaceLabels, ensureCluster, kubeconfigForUser, startClusterWebhook, uniqueName, type ClusterWebhook, type TestCluster } from '../../harness/cluster.js';
import { defaultPassword, startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';
import { inspectWithDockerConfig, startLocalRegistry, type LocalRegistry } from '../../harness/registry.js';

const HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const STALE_TOKEN = 'expired-peer-token';

/** A `.dockerconfigjson` as the peers write it: keyed by ECR's proxyEndpoint (or the bare host), holding an old token. */
function peerDockerConfig(key: string): string {
  const entry = { username: 'AWS', password: STALE_TOKEN, auth: Buffer.from(`AWS:${STALE_TOKEN}`).toString('base64') };
  return Buffer.from(JSON.stringify({ auths: { [key]: entry } })).toString('base64');
}

function peerSecret(name: string, options: { annotations?: Record<string, string>; labels?: Record<string, string>; key?: string; type?: string } = {}): V1Secret {
  const type = options.type ?? 'kubernetes.io/dockerconfigjson';
  return {
    metadata: { name, annotations: options.annotations, labels: { 'app.kubernetes.io/managed-by': 'peer', ...options.labels } },
    type,
    data: type === 'Opaque' ? { token: Buffer.from('x').toString('base64') } : { '.dockerconfigjson': peerDockerConfig(options.key ?? `https://${HOST}`) },
  };
}

describe('ecr-anywhere migrate on a real API server', { timeout: 300_000 }, () => {
  const runLabel = { 'e2e.ecr-anywhere/run': uniqueName('migrate') };
  const registryPassword = `ecr-token-${randomBytes(24).toString('base64url')}`;
  const probeNamespace = uniqueName('mig-probe');
  const namespaces: string[] = [probeNamespace];
  let cluster: TestCluster;
  let standIn: EcrStandIn;
  let registry: LocalRegistry;
  let webhook: ClusterWebhook;

  /** A namespace as the peer's users have it: not enabled for ecr-anywhere (but in this suite's webhook scope). */
  async function peerNamespace(prefix: string, labels: Record<string, string> = {}): Promise<string> {
    const name = uniqueName(prefix);
    await createNamespace(cluster, name, { ...runLabel, ...labels });
    namespaces.push(name);
    return name;
  }

  function migrate(args: readonly string[], kubeconfig = cluster.info.kubeconfig): Promise<CliResult> {
    return runCli(['migrate', ...args, '--kubeconfig', kubeconfig], { timeoutMs: 60_000 });
  }

  async function snapshot(namespace: string, name: string): Promise<{ secretVersion: string | undefined; namespaceLabels: Record<string, string> }> {
    const secret = await cluster.core.readNamespacedSecret({ namespace, name });
    const ns = await cluster.core.readNamespace({ name: namespace });
    return { secretVersion: secret.metadata?.resourceVersion, namespaceLabels: ns.metadata?.labels ?? {} };
  }

  /** The dry run lists the Secret, exits 0 and changes nothing. */
  async function dryRunShows(args: readonly string[], namespace: string, name: string): Promise<void> {
    const before = await snapshot(namespace, name);
    const result = await migrate(args);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^NAMESPACE\s+NAME\s+REGISTRIES\s+CHANGES\s+RESULT$/m);
    assert.match(result.stdout, new RegExp(`^${namespace}\\s+${name.replace(/\./g, '\\.')}\\s+${HOST.replace(/\./g, '\\.')}\\s+.*\\+namespace enabled\\s+would migrate$`, 'm'));
    assert.match(result.stdout, /Dry run: nothing was changed/);
    assert.deepEqual(await snapshot(namespace, name), before);
  }

  /** After --apply: same name, our label and registries, the peer's metadata kept, the stand-in's token, and a pull. */
  async function filledAndPulling(namespace: string, name: string, keptAnnotations: Record<string, string> = {}): Promise<void> {
    const secret = await cluster.core.readNamespacedSecret({ namespace, name });
    assert.equal(secret.metadata?.labels?.[MANAGED_LABEL], 'true');
    assert.equal(secret.metadata?.labels?.['app.kubernetes.io/managed-by'], 'peer', 'the peer\'s labels are kept');
    assert.equal(secret.metadata?.annotations?.[REGISTRIES_ANNOTATION], HOST);
    for (const [key, value] of Object.entries(keptAnnotations)) assert.equal(secret.metadata?.annotations?.[key], value);
    const namespaceLabels = (await cluster.core.readNamespace({ name: namespace })).metadata?.labels ?? {};
    assert.equal(namespaceLabels[NAMESPACE_LABEL], 'enabled');
    const dockerConfig = Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8');
    const auths = (JSON.parse(dockerConfig) as { auths: Record<string, { username: string; password: string }> }).auths;
    const key = Object.keys(auths).find((candidate) => registryOfAuthKey(candidate) === HOST);
    assert.ok(key !== undefined, `no entry for ${HOST}: ${Object.keys(auths).join(', ')}`);
    assert.equal(Object.keys(auths).length, 1, 'the peer\'s entry was refilled in place, not duplicated');
    assert.equal(auths[key]?.password, registryPassword);
    assert.match(await inspectWithDockerConfig(registry, dockerConfig, key), /^sha256:[0-9a-f]{64}$/);
  }

  async function applyMigrates(args: readonly string[], namespace: string, name: string): Promise<CliResult> {
    const result = await migrate([...args, '--apply']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`^${namespace}\\s+${name.replace(/\./g, '\\.')}\\s+.*migrated \\(filled, expires \\S+\\)$`, 'm'));
    assert.doesNotMatch(result.stdout + result.stderr, new RegExp(`${registryPassword}|${STALE_TOKEN}`), 'no token is ever printed');
    return result;
  }

  before(async () => {
    cluster = await ensureCluster();
    standIn = await startEcrStandIn({ passwordFor: (region, n) => (region === 'us-east-1' ? registryPassword : defaultPassword(region, n)) });
    registry = await startLocalRegistry(registryPassword);
    await createNamespace(cluster, probeNamespace, enabledNamespaceLabels(runLabel));
    webhook = await startClusterWebhook(cluster, { standIn, probeNamespace, namespaceLabels: runLabel });
  });

  after(async () => {
    await webhook?.stop();
    await registry?.stop();
    await standIn?.close();
    if (cluster) await deleteNamespaces(cluster, namespaces);
  });

  it('KubeECR: a Secret annotated deft.com/kubeecr: <account>/<region>', async () => {
    const namespace = await peerNamespace('mig-kubeecr');
    const annotations = { 'deft.com/kubeecr': '123456789012/us-east-1' };
    await cluster.core.createNamespacedSecret({ namespace, body: peerSecret('regcred', { annotations }) });
    const args = ['--from', 'kubeecr', '--namespaces', namespace];
    await dryRunShows(args, namespace, 'regcred');
    await applyMigrates(args, namespace, 'regcred');
    await filledAndPulling(namespace, 'regcred', annotations);
  });

  it('eatr: the Secret named after the registry host in a namespace labeled with that host', async () => {
    const namespace = await peerNamespace('mig-eatr', { [HOST]: 'true' });
    await cluster.core.createNamespacedSecret({ namespace, body: peerSecret(HOST, { key: HOST }) });
    const args = ['--from', 'eatr', '--namespaces', namespace];
    await dryRunShows(args, namespace, HOST);
    await applyMigrates(args, namespace, HOST);
    await filledAndPulling(namespace, HOST);
  });

  it('k8s-ecr-login-renew: DOCKER_SECRET_NAME in its target namespaces, given as a pattern; --secret-name', async () => {
    const base = uniqueName('mig-renew');
    const [first, second] = [`${base}-a`, `${base}-b`];
    for (const name of [first, second]) {
      await createNamespace(cluster, name, runLabel);
      namespaces.push(name);
    }
    await cluster.core.createNamespacedSecret({ namespace: first, body: peerSecret('k8s-ecr-login-renew-docker-secret') });
    await cluster.core.createNamespacedSecret({ namespace: second, body: peerSecret('ecr-login') });
    const args = ['--from', 'k8s-ecr-login-renew', '--namespaces', `${base}-*`];
    await dryRunShows(args, first, 'k8s-ecr-login-renew-docker-secret');
    await applyMigrates(args, first, 'k8s-ecr-login-renew-docker-secret');
    await filledAndPulling(first, 'k8s-ecr-login-renew-docker-secret');
    const custom = [...args, '--secret-name', 'ecr-login'];
    await dryRunShows(custom, second, 'ecr-login');
    await applyMigrates(custom, second, 'ecr-login');
    await filledAndPulling(second, 'ecr-login');
  });

  it('registry-creds: awsecr-cred, its registry from the dockerconfigjson keys; a wrong-type one is reported, not converted', async () => {
    const namespace = await peerNamespace('mig-rc');
    const wrongType = await peerNamespace('mig-rc-opaque');
    await cluster.core.createNamespacedSecret({ namespace, body: peerSecret('awsecr-cred') });
    await cluster.core.createNamespacedSecret({ namespace: wrongType, body: peerSecret('awsecr-cred', { type: 'Opaque' }) });
    await dryRunShows(['--from', 'registry-creds', '--namespaces', namespace], namespace, 'awsecr-cred');
    const both = ['--from', 'registry-creds', '--namespaces', `${namespace},${wrongType}`, '--apply'];
    const result = await migrate(both);
    assert.equal(result.code, 1, 'a Secret left behind makes the run fail');
    assert.match(result.stdout, new RegExp(`^${wrongType}\\s+awsecr-cred\\s+.*skipped: type Opaque, not kubernetes\\.io/dockerconfigjson.*\\[ECR_ANYWHERE_WRONG_SECRET_TYPE\\]$`, 'm'));
    assert.match(result.stdout, new RegExp(`^${namespace}\\s+awsecr-cred\\s+.*migrated`, 'm'));
    await filledAndPulling(namespace, 'awsecr-cred');
    const untouched = await cluster.core.readNamespacedSecret({ namespace: wrongType, name: 'awsecr-cred' });
    assert.equal(untouched.type, 'Opaque');
    assert.equal(untouched.metadata?.labels?.[MANAGED_LABEL], undefined);
    assert.equal((await cluster.core.readNamespace({ name: wrongType })).metadata?.labels?.[NAMESPACE_LABEL], undefined);
  });

  it('exits 1 with ECR_ANYWHERE_MIGRATE_NOTHING_FOUND when the peer left nothing', async () => {
    const namespace = await peerNamespace('mig-empty');
    const result = await migrate(['--from', 'kubeecr', '--namespaces', namespace]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /No Secrets managed by kubeecr found \[ECR_ANYWHERE_MIGRATE_NOTHING_FOUND\]/);
  });

  it('reports a Secret the webhook does not fill (its namespace outside the webhook\'s scope) with ECR_ANYWHERE_MIGRATE_NOT_FILLED', async () => {
    // Without this suite's run label the namespace is outside the webhook's namespaceSelector: no webhook answers.
    const namespace = uniqueName('mig-unserved');
    await createNamespace(cluster, namespace, {});
    namespaces.push(namespace);
    await cluster.core.createNamespacedSecret({ namespace, body: peerSecret('awsecr-cred') });
    const result = await migrate(['--from', 'registry-creds', '--namespaces', namespace, '--apply']);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`^${namespace}\\s+awsecr-cred\\s+.*FAILED: labeled, but the webhook did not fill it.*\\[ECR_ANYWHERE_MIGRATE_NOT_FILLED\\]$`, 'm'));
    assert.match(result.stdout, /1 of 1 Secrets were not migrated/);
  });

  it('reports the API server\'s refusal per Secret with its code, exits 1, and changes nothing it was refused', async () => {
    const namespace = await peerNamespace('mig-forbidden');
    await cluster.core.createNamespacedSecret({ namespace, body: peerSecret('awsecr-cred') });
    // Already enabled: the only write is the Secret's own patch, which is refused.
    const enabledNamespace = uniqueName('mig-forbidden-on');
    await createNamespace(cluster, enabledNamespace, enabledNamespaceLabels(runLabel));
    namespaces.push(enabledNamespace);
    await cluster.core.createNamespacedSecret({ namespace: enabledNamespace, body: peerSecret('awsecr-cred') });
    // A user who may read namespaces and Secrets but write nothing.
    const user = uniqueName('mig-reader');
    const role = uniqueName('mig-reader');
    await cluster.rbac.createClusterRole({ body: { metadata: { name: role }, rules: [{ apiGroups: [''], resources: ['namespaces', 'secrets'], verbs: ['get', 'list'] }] } });
    await cluster.rbac.createClusterRoleBinding({
      body: { metadata: { name: role }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [{ kind: 'User', name: user, apiGroup: 'rbac.authorization.k8s.io' }] },
    });
    try {
      const before = [await snapshot(namespace, 'awsecr-cred'), await snapshot(enabledNamespace, 'awsecr-cred')];
      const result = await migrate(['--from', 'registry-creds', '--namespaces', `${namespace},${enabledNamespace}`, '--apply'], await kubeconfigForUser(cluster, user));
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stdout, new RegExp(`^${namespace}\\s+awsecr-cred\\s+.*FAILED: left unchanged, its namespace could not be enabled: .*forbidden.* \\[ECR_ANYWHERE_KUBERNETES_API\\]$`, 'm'));
      assert.match(result.stdout, new RegExp(`^${enabledNamespace}\\s+awsecr-cred\\s+.*FAILED: patch Secret ${enabledNamespace}/awsecr-cred: .*forbidden.* \\[ECR_ANYWHERE_KUBERNETES_API\\]$`, 'm'));
      assert.deepEqual([await snapshot(namespace, 'awsecr-cred'), await snapshot(enabledNamespace, 'awsecr-cred')], before);
    } finally {
      await cluster.rbac.deleteClusterRoleBinding({ name: role }).catch(() => undefined);
      await cluster.rbac.deleteClusterRole({ name: role }).catch(() => undefined);
    }
  });
});
