// `helm install` / `upgrade` / `uninstall` of the chart on the real kube-apiserver (tls.mode=self, the default):
// the API server accepts every object, its authorizer gives each ServiceAccount exactly the rights the programs
// need (checked by acting as them), and what the webhook writes — its TLS Secret and the caBundle — survives
// upgrades, `--force` included for the caBundle, and uninstall for the Secret.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createNamespace, deleteNamespaces, ensureCluster, uniqueName, type TestCluster } from '../../harness/cluster.js';
import { stringify } from 'yaml';
import { apiWarnings, CHART_DIR, clusterTools, MINIMAL_VALUES, mustRun, parseObjects, withValuesFile, type ClusterTools } from '../../harness/helm.js';

const CA_BUNDLE = Buffer.from('-----BEGIN CERTIFICATE-----\nwritten by the webhook\n-----END CERTIFICATE-----\n').toString('base64');
const TLS_DATA = { 'ca.crt': Buffer.from('ca').toString('base64'), 'tls.crt': Buffer.from('crt').toString('base64'), 'tls.key': Buffer.from('key').toString('base64') };

/** One installed release in a namespace of its own, with the helpers its tests use. */
interface Release {
  readonly namespace: string;
  readonly release: string;
  readonly names: {
    readonly webhookAccount: string;
    readonly refresherAccount: string;
    readonly tlsSecret: string;
    readonly configuration: string;
    readonly deployment: string;
  };
  readonly helm: (...args: string[]) => Promise<string>;
  readonly liveCaBundle: () => Promise<string>;
  readonly liveTlsData: () => Promise<unknown>;
  /** Does what the webhook does at start, with the webhook's own identity: fills its Secret, patches the caBundle. */
  readonly writeAsWebhook: () => Promise<void>;
}

describe('helm install of the chart (tls.mode=self)', { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  let tools: ClusterTools;
  const releases: Release[] = [];
  /** Installed once, and only read by the tests that use it. */
  let shared: Release;

  const kubectl = async (...args: string[]): Promise<string> => {
    const result = await tools.kubectl(args);
    assert.equal(result.code, 0, `kubectl ${args.join(' ')}:\n${result.stderr}`);
    return result.stdout;
  };
  /** `kubectl auth can-i` as a ServiceAccount, answered by the API server's RBAC authorizer. */
  const canI = async (account: string, ...args: string[]): Promise<boolean> => {
    const result = await tools.kubectl(['auth', 'can-i', '--as', account, ...args]);
    assert.ok(result.code === 0 || result.code === 1, result.stderr);
    return result.code === 0;
  };

  /** A release (and namespace) of its own for a test, installed from the local chart. */
  const installRelease = async (): Promise<Release> => {
    const namespace = uniqueName('chart-install');
    const release = uniqueName('eca');
    await createNamespace(cluster, namespace, {});
    const names = {
      webhookAccount: `system:serviceaccount:${namespace}:${release}-ecr-anywhere-webhook`,
      refresherAccount: `system:serviceaccount:${namespace}:${release}-ecr-anywhere-refresher`,
      tlsSecret: `${release}-ecr-anywhere-webhook-tls`,
      configuration: `${release}-ecr-anywhere-webhook`,
      deployment: `${release}-ecr-anywhere-webhook`,
    };
    // Scoped to namespaces nobody else creates: the registered webhook has no pods behind it and fails closed.
    const values = { ...MINIMAL_VALUES, extraNamespaceLabels: { 'e2e.ecr-anywhere/chart': release } };
    const helm = async (...args: string[]): Promise<string> =>
      withValuesFile(values, async (file) => {
        const result = await tools.helm([...args, '--namespace', namespace, '--values', file]);
        assert.equal(result.code, 0, `helm ${args.join(' ')}:\n${result.stderr}`);
        assert.deepEqual(apiWarnings(result.stderr), [], 'the API server warned about the chart');
        return result.stdout;
      });
    const made: Release = {
      namespace,
      release,
      names,
      helm,
      liveCaBundle: () => kubectl('get', 'mutatingwebhookconfiguration', names.configuration, '-o', 'jsonpath={.webhooks[0].clientConfig.caBundle}'),
      liveTlsData: async () => JSON.parse((await kubectl('get', 'secret', names.tlsSecret, '-n', namespace, '-o', 'jsonpath={.data}')) || '{}') as unknown,
      writeAsWebhook: async () => {
        const secret = JSON.parse(await kubectl('get', 'secret', names.tlsSecret, '-n', namespace, '--as', names.webhookAccount, '-o', 'json')) as Record<string, unknown>;
        const replaced = await tools.kubectl(['replace', '--as', names.webhookAccount, '-f', '-'], { input: JSON.stringify({ ...secret, data: TLS_DATA }) });
        assert.equal(replaced.code, 0, replaced.stderr);
        await kubectl(
          'patch', 'mutatingwebhookconfiguration', names.configuration, '--as', names.webhookAccount, '--type=json',
          `-p=[{"op":"add","path":"/webhooks/0/clientConfig/caBundle","value":"${CA_BUNDLE}"}]`,
        );
      },
    };
    releases.push(made);
    await helm('install', release, CHART_DIR);
    return made;
  };

  before(async () => {
    cluster = await ensureCluster();
    tools = await clusterTools(cluster.info.kubeconfig);
    shared = await installRelease();
  });

  after(async () => {
    for (const { release, namespace } of releases) await tools.helm(['uninstall', release, '--namespace', namespace]);
    await deleteNamespaces(cluster, releases.map((release) => release.namespace));
    await tools.close();
  });

  it('installs with only aws.region set, and every rendered object exists on the API server', async () => {
    const { release, namespace, liveCaBundle, liveTlsData } = shared;
    const manifest = parseObjects(await mustRun('helm', ['get', 'manifest', release, '--namespace', namespace], { env: tools.env }));
    assert.ok(manifest.length >= 14, `expected the whole chart, got ${manifest.length} objects`);
    // `kubectl get -f` fetches each object named in the manifest; a missing one fails the command.
    const live = await tools.kubectl(['get', '-f', '-', '-o', 'name'], { input: manifest.map((o) => stringify(o)).join('---\n') });
    assert.equal(live.code, 0, live.stderr);
    assert.equal(live.stdout.trim().split('\n').length, manifest.length);
    assert.equal(await liveCaBundle(), '', 'the chart leaves the caBundle to the webhook');
    assert.deepEqual(await liveTlsData(), {}, 'the TLS Secret starts empty');
  });

  it("lets the webhook's ServiceAccount get/update its own TLS Secret and get/patch its own webhook configuration, nothing else", async () => {
    const { names, namespace } = shared;
    const account = names.webhookAccount;
    assert.ok(await canI(account, 'get', `secret/${names.tlsSecret}`, '-n', namespace));
    assert.ok(await canI(account, 'update', `secret/${names.tlsSecret}`, '-n', namespace));
    assert.ok(await canI(account, 'get', `mutatingwebhookconfigurations/${names.configuration}`));
    assert.ok(await canI(account, 'patch', `mutatingwebhookconfigurations/${names.configuration}`));
    for (const denied of [
      ['list', 'secrets', '-n', namespace],
      ['watch', 'secrets', '-n', namespace],
      ['get', 'secret/another-secret', '-n', namespace],
      ['delete', `secret/${names.tlsSecret}`, '-n', namespace],
      ['create', 'secrets', '-n', namespace],
      ['get', `secret/${names.tlsSecret}`, '-n', 'default'],
      ['patch', 'mutatingwebhookconfigurations/another-webhook'],
      ['delete', `mutatingwebhookconfigurations/${names.configuration}`],
      ['list', 'mutatingwebhookconfigurations'],
      ['list', 'namespaces'],
    ]) {
      assert.equal(await canI(account, ...denied), false, `the webhook may ${denied.join(' ')}`);
    }
  });

  it("lets the refresher's ServiceAccount list/patch Secrets, list namespaces and create events, nothing else", async () => {
    const { names } = shared;
    const account = names.refresherAccount;
    assert.ok(await canI(account, 'list', 'secrets', '--all-namespaces'));
    assert.ok(await canI(account, 'patch', 'secrets', '-n', 'some-team'));
    assert.ok(await canI(account, 'list', 'namespaces'));
    assert.ok(await canI(account, 'create', 'events', '-n', 'some-team'));
    for (const denied of [
      ['get', 'secrets', '-n', 'some-team'],
      ['watch', 'secrets', '--all-namespaces'],
      ['update', 'secrets', '-n', 'some-team'],
      ['create', 'secrets', '-n', 'some-team'],
      ['delete', 'secrets', '-n', 'some-team'],
      ['patch', 'serviceaccounts', '-n', 'some-team'],
      ['patch', `mutatingwebhookconfigurations/${names.configuration}`],
      ['patch', 'namespaces'],
    ]) {
      assert.equal(await canI(account, ...denied), false, `the refresher may ${denied.join(' ')}`);
    }
  });

  it('keeps the TLS Secret the webhook filled and its caBundle across helm upgrade', async () => {
    const { release, namespace, names, helm, liveCaBundle, liveTlsData, writeAsWebhook } = await installRelease();
    await writeAsWebhook();
    await helm('upgrade', release, CHART_DIR, '--set', 'logLevel=debug');
    assert.equal(await kubectl('get', 'deployment', names.deployment, '-n', namespace, '-o', 'jsonpath={.spec.template.spec.containers[0].env[?(@.name=="LOG_LEVEL")].value}'), 'debug', 'the upgrade was applied');
    assert.equal(await liveCaBundle(), CA_BUNDLE);
    assert.deepEqual(await liveTlsData(), TLS_DATA);
  });

  it('keeps the caBundle even through helm upgrade --force, which replaces objects (it reads the live one)', async () => {
    const { release, helm, liveCaBundle, writeAsWebhook } = await installRelease();
    await writeAsWebhook();
    await helm('upgrade', release, CHART_DIR, '--force', '--set', 'logLevel=info');
    assert.equal(await liveCaBundle(), CA_BUNDLE);
  });

  it('keeps the TLS Secret on uninstall, removes the rest, and a reinstall adopts the Secret with its data', async () => {
    const { release, namespace, names, helm, liveTlsData, writeAsWebhook } = await installRelease();
    await writeAsWebhook();
    await mustRun('helm', ['uninstall', release, '--namespace', namespace], { env: tools.env });
    assert.deepEqual(await liveTlsData(), TLS_DATA);
    for (const gone of [['mutatingwebhookconfiguration', names.configuration], ['deployment', names.deployment, '-n', namespace], ['clusterrole', `${release}-ecr-anywhere-refresher`]]) {
      const result = await tools.kubectl(['get', ...gone]);
      assert.notEqual(result.code, 0, `${gone.join(' ')} is still there`);
      assert.match(result.stderr, /NotFound/);
    }
    await helm('install', release, CHART_DIR);
    assert.deepEqual(await liveTlsData(), TLS_DATA);
  });
});

