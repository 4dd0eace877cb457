// The chart as an OCI artifact: `helm package`, `helm push oci://…` to a real registry with basic auth and TLS
// (Debian's docker-registry, as ECR would be), then `helm install oci://…` from it into the real API server.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { createNamespace, deleteNamespaces, ensureCluster, uniqueName, type TestCluster } from '../../harness/cluster.js';
import { apiWarnings, CHART_DIR, clusterTools, helmTemplate, MINIMAL_VALUES, mustRun, parseObjects, withValuesFile, type ClusterTools } from '../../harness/helm.js';
import { startLocalRegistry, type LocalRegistry } from '../../harness/registry.js';

describe('helm package + push to an OCI registry + install from it', { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  let registry: LocalRegistry;
  let chart: { name: string; version: string };
  /** The chart packaged once up front; each test reads it and never changes it. */
  let packaged: string;
  const namespace = uniqueName('chart-oci');
  const release = uniqueName('oci');
  const values = { ...MINIMAL_VALUES, extraNamespaceLabels: { 'e2e.ecr-anywhere/chart': release } };
  const homes: ClusterTools[] = [];

  const caFile = (): string => join(registry.certDir, 'ca.crt');
  const repository = (): string => `oci://${registry.address}/charts`;
  /** helm with a home of its own: no registry login but what the test itself does. */
  const freshTools = async (): Promise<ClusterTools> => {
    const tools = await clusterTools(cluster.info.kubeconfig);
    homes.push(tools);
    return tools;
  };
  const login = async (tools: ClusterTools): Promise<void> => {
    const result = await tools.helm(['registry', 'login', registry.address, '--username', 'AWS', '--password-stdin', '--ca-file', caFile()], { input: registry.password });
    assert.equal(result.code, 0, result.stderr);
  };
  const push = (tools: ClusterTools): Promise<{ code: number | null; stdout: string; stderr: string }> => tools.helm(['push', packaged, repository(), '--ca-file', caFile()]);
  const pull = (tools: ClusterTools): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    tools.helm(['pull', `${repository()}/${chart.name}`, '--version', chart.version, '--ca-file', caFile(), '--destination', tools.home]);

  before(async () => {
    cluster = await ensureCluster();
    registry = await startLocalRegistry(randomBytes(18).toString('hex'));
    chart = parse(await readFile(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { name: string; version: string };
    const packager = await freshTools();
    await mustRun('helm', ['package', CHART_DIR, '--destination', packager.home], { env: packager.env });
    packaged = join(packager.home, `${chart.name}-${chart.version}.tgz`);
    await createNamespace(cluster, namespace, {});
  });

  after(async () => {
    const [first] = homes;
    if (first) await first.helm(['uninstall', release, '--namespace', namespace]);
    await deleteNamespaces(cluster, [namespace]);
    await registry.stop();
    for (const tools of homes) await tools.close();
  });

  it('packages the chart with its schema, templates and notes', async () => {
    const tools = await freshTools();
    const output = await mustRun('helm', ['package', CHART_DIR, '--destination', tools.home], { env: tools.env });
    const file = join(tools.home, `${chart.name}-${chart.version}.tgz`);
    assert.match(output, new RegExp(`Successfully packaged chart and saved it to: ${file.replace(/[.]/g, '\\.')}`));
    const files = (await mustRun('tar', ['-tzf', file])).split('\n');
    for (const entry of ['Chart.yaml', 'values.yaml', 'values.schema.json', 'templates/NOTES.txt', 'templates/webhook-deployment.yaml']) {
      assert.ok(files.includes(`${chart.name}/${entry}`), `${entry} is missing from the package`);
    }
  });

  it('refuses a push without credentials', async () => {
    const refused = await push(await freshTools());
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /basic credential not found|unauthorized|401/i);
  });

  it('pushes after helm registry login', async () => {
    const tools = await freshTools();
    await login(tools);
    const pushed = await push(tools);
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.match(pushed.stdout + pushed.stderr, new RegExp(`Pushed: ${registry.address}/charts/${chart.name}:${chart.version}`));
    assert.match(pushed.stdout + pushed.stderr, /Digest: sha256:[a-f0-9]{64}/);
    const shown = parse(await mustRun('helm', ['show', 'chart', `${repository()}/${chart.name}`, '--version', chart.version, '--ca-file', caFile()], { env: tools.env })) as typeof chart;
    assert.deepEqual([shown.name, shown.version], [chart.name, chart.version]);
  });

  it('installs from oci:// exactly what the local chart renders', async () => {
    const tools = await freshTools();
    await login(tools);
    assert.equal((await push(tools)).code, 0, 'set-up push');
    const installed = await withValuesFile(values, (file) =>
      tools.helm(['install', release, `${repository()}/${chart.name}`, '--version', chart.version, '--ca-file', caFile(), '--namespace', namespace, '--values', file]),
    );
    assert.equal(installed.code, 0, installed.stderr);
    assert.deepEqual(apiWarnings(installed.stderr), []);
    const [listed] = JSON.parse(await mustRun('helm', ['list', '--namespace', namespace, '--output', 'json'], { env: tools.env })) as Array<{ chart: string; status: string }>;
    assert.deepEqual([listed?.chart, listed?.status], [`${chart.name}-${chart.version}`, 'deployed']);

    const manifest = parseObjects(await mustRun('helm', ['get', 'manifest', release, '--namespace', namespace], { env: tools.env }));
    const local = await helmTemplate(values, { release, namespace });
    const key = (o: { kind: string; metadata: { name: string } }): string => `${o.kind}/${o.metadata.name}`;
    assert.deepEqual(manifest.map(key).sort(), parseObjects(local.stdout).map(key).sort());
  });

  it('refuses anonymous pulls once logged out', async () => {
    const tools = await freshTools();
    await login(tools);
    assert.equal((await push(tools)).code, 0, 'set-up push');
    const allowed = await pull(tools);
    assert.equal(allowed.code, 0, `logged in, the pull works: ${allowed.stderr}`);
    await mustRun('helm', ['registry', 'logout', registry.address], { env: tools.env });
    const pulled = await pull(tools);
    assert.notEqual(pulled.code, 0);
    assert.match(pulled.stderr, /basic credential not found|unauthorized|401/i);
  });
});
