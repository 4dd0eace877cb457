// `ecr-anywhere refresh` and `ecr-anywhere status` as real CLI processes against the real kube-apiserver, with the
// real webhook process registered as a MutatingWebhookConfiguration and the real AWS SDK reaching the ECR stand-in.
// Each test works on its own group of namespaces, made for it, and every run is scoped to that group with
// --namespace-selector: no test depends on what another did, and other suites sharing the cluster see none of it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CoreV1Event, V1Secret } from '@kubernetes/client-node';
import { loadKubeConfig } from '../../src/common/kubernetes-client.js';
import {
  EXPIRES_AT_ANNOTATION,
  MARKED_FOR_UPDATE_AT_ANNOTATION,
  REGISTRIES_ANNOTATION,
  UPDATED_AT_ANNOTATION,
} from '../../src/common/names.js';
import { formatRfc3339, parseRfc3339, systemClock } from '../../src/common/time.js';
import { KubernetesRefresherCluster, type RefresherCluster } from '../../src/refresher/kubernetes.js';
import { DEFAULT_RETRY_POLICY } from '../../src/refresher/retry.js';
import { runRefresh } from '../../src/refresher/run.js';
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
import { startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';
import { captureLogs } from '../../harness/log-capture.js';

const HOUR = 3_600_000;
const DEFAULT_REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const SUITE_LABEL = 'e2e.ecr-anywhere/suite';
const GROUP_LABEL = 'e2e.ecr-anywhere/group';
const inHours = (hours: number): string => formatRfc3339(new Date(Date.now() + hours * HOUR));

/** The five states of expires_at the plan distinguishes, as annotations. */
function stalenessFixtures(): Record<string, Record<string, string> | undefined> {
  return {
    fresh: { [EXPIRES_AT_ANNOTATION]: inHours(11) },
    expiring: { [EXPIRES_AT_ANNOTATION]: inHours(1) },
    expired: { [EXPIRES_AT_ANNOTATION]: inHours(-1) },
    garbage: { [EXPIRES_AT_ANNOTATION]: 'not-a-date' },
    missing: undefined,
  };
}


async function secretsIn(cluster: TestCluster, namespaces: readonly string[]): Promise<Map<string, V1Secret>> {
  const all = new Map<string, V1Secret>();
  for (const namespace of namespaces) {
    for (const secret of (await cluster.core.listNamespacedSecret({ namespace })).items) all.set(`${namespace}/${secret.metadata?.name}`, secret);
  }
  return all;
}

async function eventsIn(cluster: TestCluster, namespaces: readonly string[]): Promise<CoreV1Event[]> {
  const events: CoreV1Event[] = [];
  for (const namespace of namespaces) events.push(...(await cluster.core.listNamespacedEvent({ namespace, fieldSelector: 'involvedObject.kind=Secret' })).items);
  return events;
}

function registryPassword(secret: V1Secret | undefined, host: string): string | undefined {
  const json = JSON.parse(Buffer.from(secret?.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8')) as { auths?: Record<string, { password?: string }> };
  return json.auths?.[host]?.password;
}

function freshBeyond(secret: V1Secret | undefined, hours: number): boolean {
  const expiresAt = parseRfc3339(secret?.metadata?.annotations?.[EXPIRES_AT_ANNOTATION]);
  return expiresAt !== undefined && expiresAt.getTime() - Date.now() > hours * HOUR;
}

describe('ecr-anywhere refresh and status against a real API server', { timeout: 240_000 }, () => {
  const suite = uniqueName('rf');
  const suiteLabels = { [SUITE_LABEL]: suite };
  const created: string[] = [];
  let cluster: TestCluster;
  let standIn: EcrStandIn;
  let webhook: ClusterWebhook | undefined;

  /** Enabled namespaces `<suite>-<name>1..count`; `webhook` decides whether the suite's webhook selects them. */
  const group = async (name: string, count: number, options: { webhook: boolean }): Promise<string[]> => {
    const labels = { [GROUP_LABEL]: `${suite}-${name}`, ...(options.webhook ? suiteLabels : {}) };
    const namespaces = Array.from({ length: count }, (_, index) => `${suite}-${name}${index + 1}`);
    for (const namespace of namespaces) {
      await createNamespace(cluster, namespace, enabledNamespaceLabels(labels));
      created.push(namespace);
    }
    return namespaces;
  };
  const scopeArgs = (name: string): string[] => ['--kubeconfig', cluster.info.kubeconfig, '--namespace-selector', `${GROUP_LABEL}=${suite}-${name}`];

  /**
   * Three enabled namespaces holding the five staleness fixtures each, a wrong-type Secret, and a namespace that is
   * not enabled holding a labeled Secret. The suite's webhook selects the group only once its fixtures exist, so
   * they keep the annotations given here; from then on it fills every write.
   */
  const stalenessGroup = async (name: string): Promise<{ namespaces: string[]; notEnabled: string }> => {
    const namespaces = await group(name, 3, { webhook: false });
    const notEnabled = `${suite}-${name}-off`;
    await createNamespace(cluster, notEnabled, { [GROUP_LABEL]: `${suite}-${name}`, ...suiteLabels });
    created.push(notEnabled);
    for (const namespace of namespaces) {
      for (const [secret, annotations] of Object.entries(stalenessFixtures())) await createSecret(cluster, { namespace, name: secret, annotations });
    }
    await createSecret(cluster, { namespace: namespaces[1]!, name: 'wrong-type', type: 'Opaque' });
    await createSecret(cluster, { namespace: notEnabled, name: 'not-ours' });
    for (const namespace of namespaces) await labelNamespace(cluster, namespace, suiteLabels);
    return { namespaces, notEnabled };
  };
  /** A staleness group after one successful refresh run. */
  const refreshedGroup = async (name: string): Promise<{ namespaces: string[]; notEnabled: string }> => {
    const made = await stalenessGroup(name);
    const first = await runCli(['refresh', ...scopeArgs(name)]);
    assert.equal(first.code, 0, `set-up refresh failed:\n${first.stdout}\n${first.stderr}`);
    assert.equal(refreshSummaryOf(first).refreshed, 12, 'set-up refresh');
    return made;
  };

  let groupB: string[];
  let groupC: string[];
  let groupD: string[];

  before(async () => {
    cluster = await ensureCluster();
    standIn = await startEcrStandIn();
    // Fixtures first: Secrets created before the webhook is registered keep the annotations the test gives them.
    groupB = await group('b', 2, { webhook: false });
    for (const namespace of groupB) for (const name of ['one', 'two']) await createSecret(cluster, { namespace, name });

    groupC = await group('c', 1, { webhook: true });
    await createSecret(cluster, { namespace: groupC[0]!, name: 'bad-registry', annotations: { [REGISTRIES_ANNOTATION]: 'registry.example.com' } });
    await createSecret(cluster, { namespace: groupC[0]!, name: 'good' });

    groupD = await group('d', 2, { webhook: true });
    for (const namespace of groupD) await createSecret(cluster, { namespace, name: 'creds' });

    const [probe] = await group('probe', 1, { webhook: true });
    webhook = await startClusterWebhook(cluster, { standIn, probeNamespace: probe!, namespaceLabels: suiteLabels });
  });

  after(async () => {
    await webhook?.stop();
    await standIn?.close();
    if (cluster) await deleteNamespaces(cluster, created);
  });

  it('status: lists every managed Secret in the enabled namespaces and exits 1 while some are expired or empty', async () => {
    const { namespaces: groupA } = await stalenessGroup('st');
    const table = await runCli(['status', ...scopeArgs('st')]);
    assert.equal(table.code, 1, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^NAMESPACE\s+NAME\s+REGISTRIES\s+EXPIRES IN\s+LAST REFRESH\s+STALE$/);
    assert.equal(lines.length, 1 + 16);
    assert.match(table.stdout, new RegExp(`${groupA[0]}\\s+expired\\s+\\(default\\)\\s+expired 1h 0m ago\\s+-\\s+yes \\(expired\\)`));
    assert.match(table.stdout, new RegExp(`${groupA[0]}\\s+fresh\\s+\\(default\\)\\s+10h 59m\\s+-\\s+no`));
    assert.match(table.stdout, /wrong-type\s.*skipped \(wrong type\)/);
    assert.doesNotMatch(table.stdout, /not-ours/);

    const json = await runCli(['status', '-o', 'json', ...scopeArgs('st')]);
    assert.equal(json.code, 1);
    const report = JSON.parse(json.stdout) as { secrets: Array<{ namespace: string; name: string; state: string }>; unusable: number };
    assert.equal(report.secrets.length, 16);
    assert.equal(report.unusable, 9, 'expired, garbage and missing in each of 3 namespaces');
    assert.deepEqual(new Set(report.secrets.map((row) => row.state)), new Set(['fresh', 'expiring', 'expired', 'unparseable', 'missing', 'wrong-type']));
  });

  it('--dry-run prints the plan and writes nothing', async () => {
    const { namespaces: groupA, notEnabled } = await stalenessGroup('dry');
    const before = await secretsIn(cluster, [...groupA, notEnabled]);
    const result = await runCli(['refresh', '--dry-run', ...scopeArgs('dry')]);
    assert.equal(result.code, 0, result.stdout);
    const planned = result.logLines.filter((line) => line.msg === 'would refresh (dry run)');
    assert.equal(planned.length, 12);
    assert.deepEqual(new Set(planned.map((line) => line.reason)), new Set(['expiring', 'expired', 'unparseable', 'missing']));
    const summary = refreshSummaryOf(result);
    assert.deepEqual([summary.found, summary.stale, summary.fresh, summary.refreshed, summary.skipped, summary.dryRun], [16, 12, 3, 0, 1, true]);
    assert.deepEqual([summary.apiCalls.patch, summary.apiCalls.event, summary.apiCalls.create], [0, 0, 0]);
    const afterRun = await secretsIn(cluster, [...groupA, notEnabled]);
    for (const [key, secret] of before) assert.equal(afterRun.get(key)?.metadata?.resourceVersion, secret.metadata?.resourceVersion, `${key} was written`);
    assert.equal((await eventsIn(cluster, groupA)).length, 0);
  });

  it('refreshes exactly the stale Secrets, proves each refresh, leaves fresh ones unwritten and exits 0', async () => {
    const { namespaces: groupA, notEnabled } = await stalenessGroup('run');
    const before = await secretsIn(cluster, [...groupA, notEnabled]);
    const result = await runCli(['refresh', ...scopeArgs('run')]);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    const summary = refreshSummaryOf(result);
    assert.deepEqual(
      [summary.found, summary.stale, summary.fresh, summary.refreshed, summary.failed, summary.skipped],
      [16, 12, 3, 12, 0, 1],
    );
    assert.equal(summary.level, 'info');
    assert.equal(summary.apiCalls.patch, 12, 'one write per stale Secret, none for fresh ones');

    const afterRun = await secretsIn(cluster, [...groupA, notEnabled]);
    for (const namespace of groupA) {
      for (const name of ['expiring', 'expired', 'garbage', 'missing']) {
        const secret = afterRun.get(`${namespace}/${name}`);
        assert.ok(freshBeyond(secret, 6), `${namespace}/${name} expires_at ${secret?.metadata?.annotations?.[EXPIRES_AT_ANNOTATION]}`);
        assert.ok(standIn.issued.includes(registryPassword(secret, DEFAULT_REGISTRY) ?? ''), `${namespace}/${name} holds an issued token`);
        assert.ok(secret?.metadata?.annotations?.[MARKED_FOR_UPDATE_AT_ANNOTATION]);
        assert.ok(secret?.metadata?.annotations?.[UPDATED_AT_ANNOTATION]);
      }
      const fresh = `${namespace}/fresh`;
      assert.equal(afterRun.get(fresh)?.metadata?.resourceVersion, before.get(fresh)?.metadata?.resourceVersion, `${fresh} must not be written`);
    }
    for (const key of [`${groupA[1]}/wrong-type`, `${notEnabled}/not-ours`]) {
      assert.equal(afterRun.get(key)?.metadata?.resourceVersion, before.get(key)?.metadata?.resourceVersion, `${key} must not be written`);
    }

    const events = await eventsIn(cluster, [...groupA, notEnabled]);
    const refreshedEvents = events.filter((event) => event.reason === 'Refreshed');
    assert.equal(refreshedEvents.length, 12);
    assert.ok(refreshedEvents.every((event) => event.type === 'Normal' && /now expire at/.test(event.message ?? '')));
    const skippedEvents = events.filter((event) => event.reason === 'RefreshSkipped');
    assert.deepEqual(skippedEvents.map((event) => [event.type, event.involvedObject.name]), [['Warning', 'wrong-type']]);
    assert.equal(events.filter((event) => event.involvedObject.name === 'fresh').length, 0);

    const output = `${result.stdout}${result.stderr}`;
    for (const token of standIn.issued) assert.ok(!output.includes(token), 'no token in the refresher output');
    assert.doesNotMatch(output, /"\.dockerconfigjson"\s*:/, "no Secret data in the output");
  });

  it('a second run finds nothing stale and writes nothing', async () => {
    await refreshedGroup('again');
    const result = await runCli(['refresh', ...scopeArgs('again')]);
    assert.equal(result.code, 0);
    const summary = refreshSummaryOf(result);
    assert.deepEqual([summary.stale, summary.fresh, summary.refreshed], [0, 15, 0]);
    assert.deepEqual([summary.apiCalls.patch, summary.apiCalls.event], [0, 1], 'only the wrong-type Secret gets its Warning again');
  });

  it('status exits 0 once every Secret holds unexpired credentials', async () => {
    await refreshedGroup('ok');
    const result = await runCli(['status', '-o', 'json', ...scopeArgs('ok')]);
    assert.equal(result.code, 0, result.stdout);
    const report = JSON.parse(result.stdout) as { unusable: number; stale: number; secrets: Array<{ state: string; registries: string[] }> };
    assert.deepEqual([report.unusable, report.stale], [0, 0]);
    assert.equal(report.secrets.filter((row) => row.state === 'fresh').length, 15);
  });

  it('without a webhook: every stale Secret fails verification, gets a Warning Event, and the exit code is 1', async () => {
    const result = await runCli(['refresh', ...scopeArgs('b')]);
    assert.equal(result.code, 1, result.stdout);
    const summary = refreshSummaryOf(result);
    assert.deepEqual([summary.found, summary.stale, summary.refreshed, summary.failed], [4, 4, 0, 4]);
    assert.equal(summary.level, 'error');
    const failures = result.logLines.filter((line) => line.msg === 'refresh failed');
    assert.equal(failures.length, 4, 'every Secret was tried');
    const events = await eventsIn(cluster, groupB);
    assert.equal(events.length, 4);
    for (const event of events) {
      assert.deepEqual([event.type, event.reason], ['Warning', 'RefreshFailed']);
      assert.match(event.message ?? '', /still stale after the refresh: ecr-anywhere\.centml\.ai\/expires_at is missing.*MutatingWebhookConfiguration/);
    }
  });

  it('a Secret the webhook refuses fails with the webhook\'s reason; the others are still refreshed', async () => {
    const result = await runCli(['refresh', '--concurrency', '1', ...scopeArgs('c')]);
    assert.equal(result.code, 1);
    const summary = refreshSummaryOf(result);
    assert.deepEqual([summary.stale, summary.refreshed, summary.failed], [2, 1, 1]);
    const events = await eventsIn(cluster, groupC);
    const failed = events.find((event) => event.involvedObject.name === 'bad-registry');
    assert.equal(failed?.reason, 'RefreshFailed');
    assert.match(failed?.message ?? '', /invalid entry "registry\.example\.com"/);
    assert.equal(events.find((event) => event.involvedObject.name === 'good')?.reason, 'Refreshed');
  });

  it('a namespace deleted mid-run: its Secret is skipped with the reason, the run goes on and succeeds', async () => {
    const [first, doomed] = groupD as [string, string];
    const real = new KubernetesRefresherCluster(loadKubeConfig({ kubeconfig: cluster.info.kubeconfig }), {
      pageSize: 500,
      requestTimeoutMs: 10_000,
      retry: DEFAULT_RETRY_POLICY,
    });
    let deleted = false;
    const deleteDoomedNamespace = async (): Promise<void> => {
      deleted = true;
      await deleteNamespaces(cluster, [doomed]);
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const gone = await cluster.core.readNamespacedSecret({ namespace: doomed, name: 'creds' }).then(() => false, () => true);
        if (gone) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      throw new Error(`namespace ${doomed} was not cleaned up within 60 s (is kube-controller-manager running?)`);
    };
    // The real adapter, with the deletion slipped in between listing and the first write.
    const withDeletion: RefresherCluster = {
      listManagedSecrets: (namespace) => real.listManagedSecrets(namespace),
      listEnabledNamespaces: (scope) => real.listEnabledNamespaces(scope),
      markForUpdate: async (secret, at) => {
        if (secret.namespace === first && !deleted) await deleteDoomedNamespace();
        return real.markForUpdate(secret, at);
      },
      createManagedSecret: (secret) => real.createManagedSecret(secret),
      listServiceAccounts: (name, namespace) => real.listServiceAccounts(name, namespace),
      addImagePullSecret: (account, secretName) => real.addImagePullSecret(account, secretName),
      recordEvent: (event) => real.recordEvent(event),
      apiCalls: () => real.apiCalls(),
    };
    const logs = captureLogs('info');
    const summary = await runRefresh(
      { namespace: undefined, namespaceSelector: `${GROUP_LABEL}=${suite}-d`, thresholdMs: 6 * HOUR, force: false, dryRun: false, concurrency: 1, provisioning: undefined },
      { cluster: withDeletion, clock: systemClock, logger: logs.logger, instance: 'e2e' },
    );
    assert.ok(deleted);
    assert.deepEqual([summary.found, summary.refreshed, summary.skipped, summary.failed, summary.error], [2, 1, 1, 0, undefined]);
    const skipped = logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.msg === 'skipped');
    assert.deepEqual([skipped?.namespace, skipped?.skipReason], [doomed, 'the Secret was deleted during the run']);
  });
});
