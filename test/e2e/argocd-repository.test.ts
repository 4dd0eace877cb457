// Argo CD repository Secrets on a real kube-apiserver: an Opaque Secret labeled `argocd.argoproj.io/secret-type:
// repository` and managed is admitted through the webhook and gets `username: AWS` / `password: <ECR token>`; then
// the client Argo CD uses underneath, helm, logs in with exactly those two values and pulls a chart pushed to a real
// registry under the url's path (the registry stands in for the ECR host the url names). The refresher refreshes
// such a Secret like any managed Secret.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { V1Secret } from '@kubernetes/client-node';
import { parse } from 'yaml';
import {
  ARGOCD_SECRET_TYPE_LABEL,
  EXPIRES_AT_ANNOTATION,
  MANAGED_LABEL,
  MANAGED_REGISTRIES_ANNOTATION,
  UPDATED_AT_ANNOTATION,
} from '../../src/common/names.js';
import { formatRfc3339, parseRfc3339 } from '../../src/common/time.js';
import { refreshSummaryOf, runCli } from '../../harness/cli-process.js';
import { createNamespace, deleteNamespaces, enabledNamespaceLabels, ensureCluster, labelNamespace, startClusterWebhook, uniqueName, type ClusterWebhook, type TestCluster } from '../../harness/cluster.js';
import { defaultPassword, startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';
import { CHART_DIR, clusterTools, mustRun, type ClusterTools } from '../../harness/helm.js';
import { startLocalRegistry, type LocalRegistry } from '../../harness/registry.js';

const ECR_HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const CHARTS_PATH = 'team-a/charts';
const HOUR = 3_600_000;
const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const decoded = (secret: V1Secret, key: string): string => Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');

/** An OCI Helm repository Secret as Argo CD's docs declare it, labeled for us. */
function repositorySecret(name: string, url: string, annotations?: Record<string, string>): V1Secret {
  return {
    metadata: { name, labels: { [ARGOCD_SECRET_TYPE_LABEL]: 'repository', [MANAGED_LABEL]: 'true' }, ...(annotations ? { annotations } : {}) },
    type: 'Opaque',
    data: { url: base64(url), type: base64('helm'), enableOCI: base64('true'), name: base64('team-a-charts'), project: base64('default') },
  };
}

describe('Argo CD repository Secrets on a real API server, pulled with helm', { timeout: 300_000 }, () => {
  const runLabel = { 'e2e.ecr-anywhere/run': uniqueName('argocd') };
  const registryPassword = `ecr-token-${randomBytes(24).toString('base64url')}`;
  const namespace = uniqueName('argocd');
  let cluster: TestCluster;
  let standIn: EcrStandIn;
  let registry: LocalRegistry;
  let webhook: ClusterWebhook;
  let chart: { name: string; version: string };
  const homes: ClusterTools[] = [];
  const namespaces = [namespace];

  const caFile = (): string => join(registry.certDir, 'ca.crt');
  const freshTools = async (): Promise<ClusterTools> => {
    const tools = await clusterTools(cluster.info.kubeconfig);
    homes.push(tools);
    return tools;
  };
  /** `helm registry login` with exactly the stored username and password, then `helm pull` of the chart. */
  const loginAndPull = async (username: string, password: string): Promise<{ login: number; pull: number; stderr: string; file: string }> => {
    const tools = await freshTools();
    const login = await tools.helm(['registry', 'login', registry.address, '--username', username, '--password-stdin', '--ca-file', caFile()], { input: password });
    // The url's path under the registry standing in for the url's ECR host.
    const pulled = await tools.helm(['pull', `oci://${registry.address}/${CHARTS_PATH}/${chart.name}`, '--version', chart.version, '--ca-file', caFile(), '--destination', tools.home]);
    return { login: login.code, pull: pulled.code, stderr: login.stderr + pulled.stderr, file: join(tools.home, `${chart.name}-${chart.version}.tgz`) };
  };

  before(async () => {
    cluster = await ensureCluster();
    // ECR issues exactly the password the registry accepts (the registry is started with the first one).
    standIn = await startEcrStandIn({ passwordFor: (region, n) => (region === 'us-east-1' ? registryPassword : defaultPassword(region, n)) });
    registry = await startLocalRegistry(registryPassword);
    await createNamespace(cluster, namespace, enabledNamespaceLabels(runLabel));
    webhook = await startClusterWebhook(cluster, { standIn, probeNamespace: namespace, namespaceLabels: runLabel });
    // Set-up: our chart pushed to <registry>/<CHARTS_PATH>, logged in with the registry's own credentials.
    chart = parse(await readFile(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { name: string; version: string };
    const pusher = await freshTools();
    await mustRun('helm', ['package', CHART_DIR, '--destination', pusher.home], { env: pusher.env });
    await mustRun('helm', ['registry', 'login', registry.address, '--username', 'AWS', '--password-stdin', '--ca-file', caFile()], { env: pusher.env, input: registryPassword });
    await mustRun('helm', ['push', join(pusher.home, `${chart.name}-${chart.version}.tgz`), `oci://${registry.address}/${CHARTS_PATH}`, '--ca-file', caFile()], { env: pusher.env });
  });

  after(async () => {
    await webhook?.stop();
    await registry?.stop();
    await standIn?.close();
    for (const tools of homes) await tools.close();
    if (cluster) await deleteNamespaces(cluster, namespaces);
  });

  it('admits the Secret with username AWS and the ECR token, leaves every other key alone, and helm pulls with them', async () => {
    const body = repositorySecret('ecr-charts', `oci://${ECR_HOST}/${CHARTS_PATH}`);
    const stored = await cluster.core.createNamespacedSecret({ namespace, body });
    assert.deepEqual([decoded(stored, 'username'), decoded(stored, 'password')], ['AWS', registryPassword]);
    for (const key of Object.keys(body.data ?? {})) assert.equal(stored.data?.[key], body.data?.[key], `${key} is kept`);
    assert.deepEqual(Object.keys(stored.data ?? {}).sort(), ['enableOCI', 'name', 'password', 'project', 'type', 'url', 'username']);
    assert.equal(stored.type, 'Opaque');
    const annotations = stored.metadata?.annotations ?? {};
    assert.ok((parseRfc3339(annotations[EXPIRES_AT_ANNOTATION])?.getTime() ?? 0) - Date.now() > 11 * HOUR, JSON.stringify(annotations));
    assert.ok(parseRfc3339(annotations[UPDATED_AT_ANNOTATION]));
    assert.equal(annotations[MANAGED_REGISTRIES_ANNOTATION], ECR_HOST);

    const pulled = await loginAndPull(decoded(stored, 'username'), decoded(stored, 'password'));
    assert.deepEqual([pulled.login, pulled.pull], [0, 0], pulled.stderr);
    assert.ok((await stat(pulled.file)).size > 0, 'helm wrote the chart archive');
  });

  it('the registry refuses helm with any other password (so the pull above proves the stored one)', async () => {
    const refused = await loginAndPull('AWS', 'not-the-issued-token');
    assert.notEqual(refused.login, 0);
    assert.notEqual(refused.pull, 0);
    assert.match(refused.stderr, /unauthorized|401|basic credential not found/i);
  });

  it('refuses a repository url that is not an ECR host with a coded message, and stores nothing', async () => {
    await assert.rejects(cluster.core.createNamespacedSecret({ namespace, body: repositorySecret('ghcr-charts', 'oci://ghcr.io/team-a/charts') }), (error: Error & { body?: string }) => {
      const message = error.body ?? error.message;
      assert.match(message, /its url key names no ECR registry \(its host \\?"ghcr\.io\\?" is not an ECR registry/);
      assert.match(message, /ECR_ANYWHERE_INVALID_REPOSITORY_URL/);
      return true;
    });
    await assert.rejects(cluster.core.readNamespacedSecret({ namespace, name: 'ghcr-charts' }), /404|not found/i);
  });

  it('the refresher refreshes a stale Argo CD Secret, and the new password pulls', async () => {
    // A namespace the webhook selects only once the stale Secret is in it, so the Secret keeps what is given here.
    const own = uniqueName('argocd-refresh');
    const group = { 'e2e.ecr-anywhere/argocd-refresh': own };
    namespaces.push(own);
    await createNamespace(cluster, own, enabledNamespaceLabels(group));
    const stale = repositorySecret('stale-charts', `${ECR_HOST}/${CHARTS_PATH}`, { [EXPIRES_AT_ANNOTATION]: formatRfc3339(new Date(Date.now() + HOUR)) });
    stale.data = { ...stale.data, username: base64('AWS'), password: base64('an-old-token') };
    await cluster.core.createNamespacedSecret({ namespace: own, body: stale });
    await labelNamespace(cluster, own, runLabel);

    const refreshed = await runCli(['refresh', '--kubeconfig', cluster.info.kubeconfig, '--namespace-selector', `e2e.ecr-anywhere/argocd-refresh=${own}`]);
    assert.equal(refreshed.code, 0, refreshed.stdout + refreshed.stderr);
    const summary = refreshSummaryOf(refreshed);
    assert.deepEqual([summary.refreshed, summary.failed, summary.skipped], [1, 0, 0], refreshed.stdout);
    const after = await cluster.core.readNamespacedSecret({ namespace: own, name: 'stale-charts' });
    assert.equal(decoded(after, 'password'), registryPassword);
    assert.ok((parseRfc3339(after.metadata?.annotations?.[EXPIRES_AT_ANNOTATION])?.getTime() ?? 0) - Date.now() > 11 * HOUR);
    assert.equal(decoded(after, 'url'), `${ECR_HOST}/${CHARTS_PATH}`);
    const pulled = await loginAndPull(decoded(after, 'username'), decoded(after, 'password'));
    assert.deepEqual([pulled.login, pulled.pull], [0, 0], pulled.stderr);

    // A second run finds it fresh and writes nothing.
    const again = refreshSummaryOf(await runCli(['refresh', '--kubeconfig', cluster.info.kubeconfig, '--namespace-selector', `e2e.ecr-anywhere/argocd-refresh=${own}`]));
    assert.deepEqual([again.refreshed, again.fresh], [0, 1]);
  });
});
