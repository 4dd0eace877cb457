// Faults on the real API server, each bounded in time: an invalid review from the API server itself, ECR refusing
// for a whole refresher run, the webhook gone for a while, the API server restarted during a run, and one of two
// webhook replicas killed during a 1 000-Secret refresh. The product must fail loudly or succeed, never report a
// Secret as refreshed that is not.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { V1Secret } from '@kubernetes/client-node';
import { EXPIRES_AT_ANNOTATION } from '../../src/common/names.js';
import { formatRfc3339, parseRfc3339 } from '../../src/common/time.js';
import { createSelfSignedServing } from '../../src/tls/certificates.js';
import { restartApiServer } from '../../harness/apiserver-restart.js';
import { standInAwsEnv } from '../../harness/aws-env.js';
import { refreshSummaryOf, runCli, type CliResult } from '../../harness/cli-process.js';
import {
  createNamespace,
  createSecret,
  deleteNamespaces,
  enabledNamespaceLabels,
  ensureCluster,
  numberedNames,
  populateNamespaces,
  registerWebhook,
  startClusterWebhook,
  uniqueName,
  webhookConfiguration,
  type ClusterWebhook,
  type TestCluster,
} from '../../harness/cluster.js';
import { startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';
import { until } from '../../harness/poll.js';
import { startTcpSpreader, type TcpSpreader } from '../../harness/tcp-spreader.js';
import { getText, startWebhookProcess, type WebhookProcess } from '../../harness/webhook-process.js';

const HOUR = 3_600_000;
const GROUP_LABEL = 'e2e.ecr-anywhere/faults';
const THRESHOLD_MS = 6 * HOUR;
const inHours = (hours: number): string => formatRfc3339(new Date(Date.now() + hours * HOUR));

let cluster: TestCluster;
let standIn: EcrStandIn;
const namespacesToDelete: string[] = [];

before(async () => {
  cluster = await ensureCluster();
  standIn = await startEcrStandIn();
});
after(async () => {
  await standIn?.close();
  if (cluster) await deleteNamespaces(cluster, namespacesToDelete);
});

/** A namespace of its own group, enabled, so each case's webhook and runs see only its own Secrets. */
async function groupNamespace(prefix: string): Promise<{ namespace: string; group: string; labels: Record<string, string> }> {
  const group = uniqueName(prefix);
  const labels = { [GROUP_LABEL]: group };
  await createNamespace(cluster, group, enabledNamespaceLabels(labels));
  namespacesToDelete.push(group);
  return { namespace: group, group, labels };
}

function refresh(group: string, extra: string[] = [], timeoutMs = 180_000): Promise<CliResult> {
  return runCli(['refresh', '--kubeconfig', cluster.info.kubeconfig, '--namespace-selector', `${GROUP_LABEL}=${group}`, ...extra], { timeoutMs });
}

async function secretsOf(namespace: string): Promise<Map<string, V1Secret>> {
  return new Map((await cluster.core.listNamespacedSecret({ namespace })).items.map((secret) => [secret.metadata?.name ?? '', secret]));
}

function isFresh(secret: V1Secret | undefined): boolean {
  const expiresAt = parseRfc3339(secret?.metadata?.annotations?.[EXPIRES_AT_ANNOTATION]);
  return expiresAt !== undefined && expiresAt.getTime() - Date.now() > THRESHOLD_MS;
}

async function admissions(webhook: WebhookProcess, outcome?: string): Promise<number> {
  const metrics = (await getText(webhook.opsPort, '/metrics')).body;
  const pattern = /^ecr_anywhere_admissions_total\{outcome="([a-z]+)"\} (\d+)$/gm;
  return [...metrics.matchAll(pattern)].filter((match) => outcome === undefined || match[1] === outcome).reduce((sum, match) => sum + Number(match[2]), 0);
}

async function stopWithin(webhook: ClusterWebhook | undefined): Promise<void> {
  await webhook?.stop();
}

describe('an invalid review sent by the real API server', { timeout: 60_000 }, () => {
  let webhook: ClusterWebhook | undefined;
  let unregister: (() => Promise<void>) | undefined;
  after(async () => {
    await unregister?.();
    await stopWithin(webhook);
  });

  it('is counted as invalid although the API server calls /sync?timeout=10s', async () => {
    const probe = await groupNamespace('fault-probe');
    const invalid = await groupNamespace('fault-invalid');
    webhook = await startClusterWebhook(cluster, { standIn, probeNamespace: probe.namespace, namespaceLabels: probe.labels });
    // A second registration for the same process that asks the API server for v1beta1 reviews, which the webhook
    // rejects (it speaks admission.k8s.io/v1); failurePolicy Ignore lets the write through.
    const body = await webhookConfiguration({ name: uniqueName('ecr-anywhere-v1beta1'), url: `https://127.0.0.1:${webhook.process.port}`, caBundle: '', namespaceLabels: invalid.labels });
    const entry = body.webhooks![0]!;
    entry.admissionReviewVersions = ['v1beta1'];
    entry.failurePolicy = 'Ignore';
    entry.clientConfig.caBundle = (await webhookConfigurationCa(webhook)) ?? '';
    await cluster.admission.createMutatingWebhookConfiguration({ body });
    unregister = () => cluster.admission.deleteMutatingWebhookConfiguration({ name: body.metadata!.name! }).then(() => undefined, () => undefined);
    const invalidBefore = await admissions(webhook.process, 'invalid');
    await until('the API server sending the v1beta1 review', 20_000, async () => {
      await createSecret(cluster, { namespace: invalid.namespace, name: uniqueName('pull') });
      return (await admissions(webhook!.process, 'invalid')) > invalidBefore ? true : undefined;
    });
    assert.match(webhook.process.output(), /rejected a request to \/sync: not an admission\.k8s\.io\/v1 AdmissionReview/);
  });
});

/** The caBundle the harness registered for a cluster webhook (its own throwaway CA). */
async function webhookConfigurationCa(webhook: ClusterWebhook): Promise<string | undefined> {
  const list = await cluster.admission.listMutatingWebhookConfiguration();
  const match = list.items.find((item) => item.webhooks?.[0]?.clientConfig.url?.includes(`:${webhook.process.port}/`));
  return match?.webhooks?.[0]?.clientConfig.caBundle;
}

describe('ECR refusing for the whole refresher run', { timeout: 120_000 }, () => {
  let webhook: ClusterWebhook | undefined;
  after(async () => {
    standIn.behaviour = 'ok';
    await stopWithin(webhook);
  });

  it('reports every stale Secret, exits non-zero, and leaves the fresh ones untouched', async () => {
    const { namespace, group, labels } = await groupNamespace('fault-ecr');
    const stale = ['missing-0', 'missing-1', 'expiring-0'];
    for (const name of stale) await createSecret(cluster, { namespace, name, ...(name.startsWith('expiring') ? { annotations: { [EXPIRES_AT_ANNOTATION]: inHours(1) } } : {}) });
    for (const name of ['fresh-0', 'fresh-1']) await createSecret(cluster, { namespace, name, annotations: { [EXPIRES_AT_ANNOTATION]: inHours(11) } });
    // ECR refuses from the start: the webhook never holds a token it could fall back on.
    standIn.behaviour = 'refuse';
    webhook = await startClusterWebhook(cluster, { standIn, probeNamespace: namespace, namespaceLabels: labels, probe: 'refused' });
    const before = await secretsOf(namespace);

    const result = await refresh(group, [], 60_000);
    assert.equal(result.code, 1, result.stdout.slice(-3_000));
    const summary = refreshSummaryOf(result);
    assert.deepEqual([summary.stale, summary.fresh, summary.refreshed, summary.failed], [3, 2, 0, 3]);
    const failed = result.logLines.filter((line) => line.msg === 'refresh failed');
    assert.deepEqual(failed.map((line) => line.secret).sort(), [...stale].sort());
    for (const line of failed) assert.match(String(line.error), /ECR_ANYWHERE_ECR_REFUSED/);
    const afterRun = await secretsOf(namespace);
    for (const name of ['fresh-0', 'fresh-1']) {
      assert.equal(afterRun.get(name)?.metadata?.resourceVersion, before.get(name)?.metadata?.resourceVersion, `${name} untouched`);
    }
  });
});

describe('the webhook gone for a while', { timeout: 180_000 }, () => {
  let gone: ClusterWebhook | undefined;
  let back: ClusterWebhook | undefined;
  after(async () => {
    await stopWithin(gone);
    await stopWithin(back);
  });

  it('a run during the outage fails loudly; the next run after it repairs everything that went stale', async () => {
    const { namespace, group, labels } = await groupNamespace('fault-gone');
    // What an hour without the webhook leaves: Secrets filled ~11 h ago, now within the threshold, some expired.
    const names = numberedNames('creds', 30);
    for (const [index, name] of names.entries()) {
      await createSecret(cluster, { namespace, name, annotations: { [EXPIRES_AT_ANNOTATION]: index % 3 === 0 ? inHours(-0.5) : inHours(1) } });
    }
    gone = await startClusterWebhook(cluster, { standIn, probeNamespace: namespace, namespaceLabels: labels });
    await gone.process.stop(); // both replicas down; the MutatingWebhookConfiguration stays (failurePolicy Fail)
    const during = await refresh(group, [], 90_000);
    assert.equal(during.code, 1);
    assert.deepEqual([refreshSummaryOf(during).stale, refreshSummaryOf(during).refreshed], [30, 0]);

    await gone.stop(); // the replicas come back (a new process, registered again)
    gone = undefined;
    back = await startClusterWebhook(cluster, { standIn, probeNamespace: namespace, namespaceLabels: labels });
    const next = await refresh(group, [], 90_000);
    assert.equal(next.code, 0, next.stdout.slice(-3_000));
    const summary = refreshSummaryOf(next);
    assert.deepEqual([summary.stale, summary.refreshed, summary.failed], [30, 30, 0]);
    const repaired = await secretsOf(namespace);
    for (const name of names) assert.ok(isFresh(repaired.get(name)), `${name} fresh again`);
  });
});

describe('the API server restarted during a refresher run', { timeout: 300_000 }, () => {
  let webhook: ClusterWebhook | undefined;
  after(async () => stopWithin(webhook));

  it('the run fails loudly or completes, and every Secret it reports refreshed is fresh', async () => {
    const { namespace, group, labels } = await groupNamespace('fault-restart');
    const names = numberedNames('creds', 300);
    for (const name of names) await createSecret(cluster, { namespace, name });
    webhook = await startClusterWebhook(cluster, { standIn, probeNamespace: namespace, namespaceLabels: labels });
    const start = await admissions(webhook.process);
    const running = refresh(group, ['--concurrency', '4'], 240_000);
    await until('the run under way', 60_000, async () => ((await admissions(webhook!.process)) >= start + 40 ? true : undefined), 50);
    const restart = await restartApiServer(cluster);
    const result = await running;
    const summary = refreshSummaryOf(result);
    const stored = await secretsOf(namespace);
    const reportedRefreshed = result.logLines.filter((line) => line.msg === 'refreshed').map((line) => String(line.secret));
    for (const name of reportedRefreshed) assert.ok(isFresh(stored.get(name)), `${name} was reported refreshed but is not fresh`);
    assert.equal(reportedRefreshed.length, summary.refreshed);
    if (result.code === 0) assert.deepEqual([summary.refreshed, summary.failed], [300, 0]);
    else assert.ok(summary.failed > 0 || summary.error !== undefined, 'a non-zero exit names what failed');
    if (summary.error === undefined) assert.equal(summary.refreshed + summary.failed + summary.skipped, summary.stale, 'every stale Secret accounted for');
    console.log(`restart: API server down ${(restart.downMs / 1000).toFixed(1)} s during the run; exit ${result.code}, refreshed ${summary.refreshed}, failed ${summary.failed}`);
  });
});

describe('one of two webhook replicas killed during a 1 000-Secret refresh', { timeout: 420_000 }, () => {
  const replicas: WebhookProcess[] = [];
  let spreader: TcpSpreader | undefined;
  let unregister: (() => Promise<void>) | undefined;
  after(async () => {
    await unregister?.();
    for (const replica of replicas) {
      if (replica.child.exitCode === null) replica.child.kill('SIGKILL');
      await replica.exited;
    }
    await spreader?.close();
  });

  it('0 failed refreshes', async () => {
    const run = uniqueName('fault-replicas');
    const labels = { [GROUP_LABEL]: run };
    const namespaces = numberedNames(run, 20);
    namespacesToDelete.push(...namespaces);
    await populateNamespaces(cluster, { namespaces, perNamespace: 50, labels, annotationsFor: () => undefined });

    // Two processes with one certificate, one URL for the API server: the spreader, as a Service in front of pods.
    const serving = createSelfSignedServing({ hosts: ['127.0.0.1', 'localhost'], now: new Date(), validityDays: 2 });
    const dir = await mkdtemp(join(tmpdir(), 'ecr-anywhere-replicas-'));
    await writeFile(join(dir, 'tls.crt'), serving.certPem);
    await writeFile(join(dir, 'tls.key'), serving.keyPem, { mode: 0o600 });
    for (let index = 0; index < 2; index += 1) {
      replicas.push(await startWebhookProcess({ ...standInAwsEnv(standIn.url), CERT_FILE: join(dir, 'tls.crt'), KEY_FILE: join(dir, 'tls.key'), LOG_LEVEL: 'info' }));
    }
    spreader = await startTcpSpreader(replicas.map((replica) => replica.port));
    unregister = await registerWebhook(cluster, { name: uniqueName('ecr-anywhere-replicas'), url: `https://127.0.0.1:${spreader.port}`, caBundle: serving.caPem, namespaceLabels: labels, probeNamespace: namespaces[0]! });

    const running = refresh(run, ['--page-size', '250'], 360_000);
    const victim = replicas[0]!;
    await until('the victim serving part of the run', 120_000, async () => ((await admissions(victim).catch(() => 0)) >= 100 ? true : undefined), 50);
    victim.child.kill('SIGKILL');
    const result = await running;
    assert.equal(result.code, 0, result.stdout.slice(-3_000));
    const summary = refreshSummaryOf(result);
    assert.deepEqual([summary.stale, summary.refreshed, summary.failed], [1_000, 1_000, 0]);
    console.log(`replicas: one of two killed mid-run; ${summary.refreshed} refreshed, ${summary.failed} failed in ${(result.durationMs / 1000).toFixed(1)} s; connections per replica ${[...spreader.connections.values()].join('/')}`);
  });
});
