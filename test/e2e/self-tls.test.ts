// TLS_MODE=self end to end on a real kube-apiserver: two webhook processes share one CA through the Secret, the
// caBundle they publish is what the API server trusts when it calls them, a CA rotation keeps admissions working,
// and missing RBAC leaves a webhook alive, not ready, and saying exactly which permission is missing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { toKubernetesError } from '../../src/common/kubernetes-client.js';
import { EXPIRES_AT_ANNOTATION } from '../../src/common/names.js';
import { decodeTlsSecretData } from '../../src/tls/self-managed/secret-contents.js';
import { normalizeBundle } from '../../src/tls/self-managed/decision.js';
import { standInAwsEnv } from '../../harness/aws-env.js';
import {
  createNamespace,
  deleteNamespaces,
  enabledNamespaceLabels,
  ensureCluster,
  kubeconfigForUser,
  secretBody,
  uniqueName,
  webhookConfiguration,
  type TestCluster,
} from '../../harness/cluster.js';
import { startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';
import { CLI_PATH, getText, startWebhookProcess, type WebhookProcess } from '../../harness/webhook-process.js';
import { startWriteGate, type HeldWrite } from '../../harness/write-gate.js';

const SERVICE_NAME = 'ecr-anywhere';
const RUN_LABEL = 'e2e.ecr-anywhere/self-tls';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** An empty TLS Secret (as the chart creates it), a webhook configuration without caBundle, and an enabled namespace. */
interface Fixture {
  readonly tlsNamespace: string;
  readonly secretName: string;
  readonly configurationName: string;
  readonly appsNamespace: string;
}

async function createFixture(cluster: TestCluster, prefix: string): Promise<Fixture> {
  const run = uniqueName(prefix);
  const fixture = { tlsNamespace: `${run}-tls`, secretName: `${run}-tls`, configurationName: `${run}-webhook`, appsNamespace: `${run}-apps` };
  await createNamespace(cluster, fixture.tlsNamespace, { [RUN_LABEL]: run });
  await createNamespace(cluster, fixture.appsNamespace, enabledNamespaceLabels({ [RUN_LABEL]: run }));
  await cluster.core.createNamespacedSecret({ namespace: fixture.tlsNamespace, body: { metadata: { name: fixture.secretName }, type: 'Opaque' } });
  // Nothing listens on port 1: until a test points the webhook at a process, only this run's namespace is affected.
  const body = await webhookConfiguration({ name: fixture.configurationName, url: 'https://127.0.0.1:1', caBundle: '', namespaceLabels: { [RUN_LABEL]: run } });
  delete body.webhooks?.[0]?.clientConfig.caBundle;
  await cluster.admission.createMutatingWebhookConfiguration({ body });
  return fixture;
}

async function deleteFixture(cluster: TestCluster, fixture: Fixture | undefined): Promise<void> {
  if (!fixture) return;
  await cluster.admission.deleteMutatingWebhookConfiguration({ name: fixture.configurationName }).catch(() => undefined);
  await deleteNamespaces(cluster, [fixture.tlsNamespace, fixture.appsNamespace]);
}

function selfTlsEnv(cluster: TestCluster, fixture: Fixture, standIn: EcrStandIn, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...standInAwsEnv(standIn.url),
    TLS_MODE: 'self',
    TLS_SECRET_NAME: fixture.secretName,
    POD_NAMESPACE: fixture.tlsNamespace,
    WEBHOOK_CONFIGURATION_NAME: fixture.configurationName,
    SERVICE_NAME,
    TLS_EXTRA_HOSTS: '127.0.0.1',
    KUBECONFIG: cluster.info.kubeconfig,
    LOG_LEVEL: 'debug',
    ...extra,
  };
}

async function pointWebhookAt(cluster: TestCluster, fixture: Fixture, port: number): Promise<void> {
  await cluster.admission.patchMutatingWebhookConfiguration(
    { name: fixture.configurationName, body: [{ op: 'replace', path: '/webhooks/0/clientConfig/url', value: `https://127.0.0.1:${port}/sync` }] },
    setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
  );
}

async function publishedBundle(cluster: TestCluster, fixture: Fixture): Promise<string> {
  const configuration = await cluster.admission.readMutatingWebhookConfiguration({ name: fixture.configurationName });
  return Buffer.from(configuration.webhooks?.[0]?.clientConfig.caBundle ?? '', 'base64').toString('utf8');
}

/** The certificate a process serves, fetched trusting only `caBundle` (fails if the bundle does not trust it). */
function servedCertificate(port: number, caBundle: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: caBundle, timeout: 10_000 }, () => {
      const certificate = new X509Certificate(socket.getPeerCertificate(true).raw);
      socket.end();
      resolve(certificate);
    });
    socket.on('timeout', () => socket.destroy(new Error('TLS probe timed out')));
    socket.on('error', reject);
  });
}

/** Creates a managed Secret through the API server; resolves true when the webhook filled it. */
async function admitSecret(cluster: TestCluster, namespace: string): Promise<boolean> {
  const created = await cluster.core.createNamespacedSecret({ namespace, body: secretBody({ namespace, name: uniqueName('creds') }) });
  return created.metadata?.annotations?.[EXPIRES_AT_ANNOTATION] !== undefined;
}

async function admissionsServed(webhook: { opsPort: number }): Promise<number> {
  const metrics = (await getText(webhook.opsPort, '/metrics')).body;
  return [...metrics.matchAll(/^ecr_anywhere_admissions_total\{[^}]*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

function linesMatching(output: string, pattern: RegExp): string[] {
  return output.split('\n').filter((line) => pattern.test(line));
}

async function readTlsSecret(cluster: TestCluster, fixture: Fixture): Promise<ReturnType<typeof decodeTlsSecretData>> {
  const secret = await cluster.core.readNamespacedSecret({ namespace: fixture.tlsNamespace, name: fixture.secretName });
  return decodeTlsSecretData(secret.data);
}

/** The actions of every Secret write by any replica, in time order (e.g. `issue-leaf`, `rotate-ca`). */
function writesInOrder(replicas: readonly WebhookProcess[]): string[] {
  return replicas
    .flatMap((replica) => linesMatching(replica.output(), /wrote the TLS Secret/).map((line) => JSON.parse(line) as { time: string; action: string }))
    .sort((a, b) => a.time.localeCompare(b.time))
    .map((entry) => entry.action);
}

/** A webhook process that may never become ready: found through its ops-port log line, not the serving one. */
interface WaitingWebhook {
  readonly opsPort: number;
  output(): string;
  running(): boolean;
  stop(): Promise<number | null>;
}

async function startWaitingWebhook(env: Record<string, string>): Promise<WaitingWebhook> {
  const child = spawn(process.execPath, [CLI_PATH, 'webhook', '--port', '0', '--ops-port', '0', '--host', '127.0.0.1'], {
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    return exited;
  };
  const line = await waitFor(() => linesMatching(output, /"ops port is serving/)[0], 15_000, () => output).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { opsPort: (JSON.parse(line) as { opsPort: number }).opsPort, output: () => output, running: () => child.exitCode === null, stop };
}

async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, describe: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not seen within ${timeoutMs} ms:\n${describe().slice(-4_000)}`);
    await sleep(200);
  }
}


interface ReplicaSet {
  readonly cluster: TestCluster;
  readonly standIn: EcrStandIn;
  readonly fixture: Fixture;
  readonly replicas: WebhookProcess[];
  /** With `race`: the version of the empty Secret both replicas started from, and the writes the gate held. */
  readonly race?: { readonly emptyVersion: string | undefined; readonly writes: readonly HeldWrite[] };
}

/**
 * A fixture and two self-mode webhook processes started at the same moment; on failure, what was made is removed.
 * With `race`, a write gate holds each replica's first write to the Secret until both are in flight, so both have
 * read the empty Secret and their writes collide at the API server for certain.
 */
async function setUpReplicas(prefix: string, extraEnv: Record<string, string>, options: { readonly race?: boolean } = {}): Promise<ReplicaSet> {
  const cluster = await ensureCluster();
  const standIn = await startEcrStandIn();
  const fixture = await createFixture(cluster, prefix);
  const env = selfTlsEnv(cluster, fixture, standIn, extraEnv);
  const gate = options.race ? await startWriteGate(cluster, { namespace: fixture.tlsNamespace, secretName: fixture.secretName, writers: 2, holdMs: 8_000 }) : undefined;
  const emptyVersion = gate ? (await cluster.core.readNamespacedSecret({ namespace: fixture.tlsNamespace, name: fixture.secretName })).metadata?.resourceVersion : undefined;
  const started = await Promise.allSettled([startWebhookProcess(env), startWebhookProcess(env)]);
  await gate?.close();
  const replicas = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await tearDownReplicas({ cluster, standIn, fixture, replicas });
    throw failed.reason;
  }
  try {
    await routeThroughFirstReplica(cluster, fixture, replicas[0]!);
  } catch (error) {
    await tearDownReplicas({ cluster, standIn, fixture, replicas });
    throw error;
  }
  return { cluster, standIn, fixture, replicas, ...(gate ? { race: { emptyVersion, writes: gate.writes } } : {}) };
}

/**
 * Replaces the fixture's placeholder URL (a closed port) by the replica's and waits until the API server uses it:
 * its webhook configurations reach the admission chain a moment after the write, and a create in between is refused.
 */
async function routeThroughFirstReplica(cluster: TestCluster, fixture: Fixture, replica: WebhookProcess): Promise<void> {
  await pointWebhookAt(cluster, fixture, replica.port);
  let lastError = '';
  await waitFor(
    async () => {
      try {
        return (await admitSecret(cluster, fixture.appsNamespace)) ? true : undefined;
      } catch (error) {
        lastError = (error as Error).message;
        return undefined;
      }
    },
    15_000,
    () => `the API server did not call the webhook at its new URL: ${lastError}`,
  );
}

async function tearDownReplicas(set: ReplicaSet): Promise<void> {
  await Promise.all(set.replicas.map((replica) => replica.stop()));
  await set.standIn?.close();
  if (set.cluster && set.fixture) await deleteFixture(set.cluster, set.fixture);
}

describe('TLS_MODE=self: two replicas on a real API server', { timeout: 150_000 }, () => {
  let cluster: TestCluster;
  let standIn: EcrStandIn;
  let fixture: Fixture;
  let replicas: WebhookProcess[] = [];
  let race: ReplicaSet['race'];

  before(async () => {
    // Both start on the empty Secret at the same moment, and their first writes are made to collide.
    ({ cluster, standIn, fixture, replicas, race } = await setUpReplicas('stls', { TLS_CHECK_INTERVAL: '2s' }, { race: true }));
  });

  after(() => tearDownReplicas({ cluster, standIn, fixture, replicas }));

  it('two replicas racing on the empty Secret: one write wins, the loser gets a conflict and serves the winner’s certificate', async () => {
    // The race happened: both writes reached the API server, each made from the empty Secret's version.
    assert.ok(race);
    assert.deepEqual(
      race.writes.map((write) => write.resourceVersion),
      [race.emptyVersion, race.emptyVersion],
      'both replicas wrote from the version of the empty Secret',
    );
    const contents = await readTlsSecret(cluster, fixture);
    assert.ok(contents.caCert && contents.caKey && contents.cert && contents.key, 'the Secret was filled');
    // One write was stored, the other was answered 409 and its replica took what the winner wrote.
    const roles = replicas.map((replica) => [
      linesMatching(replica.output(), /wrote the TLS Secret/).length,
      linesMatching(replica.output(), /another replica updated the TLS Secret first: using what it wrote/).length,
    ]);
    // [writes, lost races] per replica: one wrote once and never lost, the other lost once and never wrote.
    assert.deepEqual(roles.sort(), [[0, 1], [1, 0]], `one winner, one loser:\n${replicas.map((replica) => replica.output()).join('\n')}`);
    const secret = await cluster.core.readNamespacedSecret({ namespace: fixture.tlsNamespace, name: fixture.secretName });
    assert.notEqual(secret.metadata?.resourceVersion, race.emptyVersion);
    const stored = new X509Certificate(contents.cert);
    for (const replica of replicas) {
      const served = await servedCertificate(replica.port, contents.caCert);
      assert.equal(served.fingerprint256, stored.fingerprint256, 'serves the certificate from the Secret');
      assert.ok(served.checkIssued(new X509Certificate(contents.caCert)));
      assert.equal((await getText(replica.opsPort, '/readyz')).status, 200);
    }
    assert.equal(stored.checkHost(`${SERVICE_NAME}.${fixture.tlsNamespace}.svc`), `${SERVICE_NAME}.${fixture.tlsNamespace}.svc`);
    assert.equal(stored.checkIP('127.0.0.1'), '127.0.0.1');
  });

  it('publishes exactly that CA as the caBundle of its webhook entry', async () => {
    const contents = await readTlsSecret(cluster, fixture);
    assert.equal(normalizeBundle(await publishedBundle(cluster, fixture)), normalizeBundle(contents.caCert ?? ''));
  });

  it('is called by the API server over TLS through each replica, trusting the patched caBundle', async () => {
    for (const replica of replicas) {
      await pointWebhookAt(cluster, fixture, replica.port);
      const before = await admissionsServed(replica);
      // The API server picks up the new URL within moments; every create meanwhile must still be admitted.
      await waitFor(
        async () => {
          assert.equal(await admitSecret(cluster, fixture.appsNamespace), true, 'the Secret came back filled');
          return (await admissionsServed(replica)) > before ? true : undefined;
        },
        15_000,
        () => replica.output(),
      );
    }
  });

  it('never logs key material', async () => {
    const contents = await readTlsSecret(cluster, fixture);
    // A line from the middle of each key's base64 body: any trace of the key would contain it.
    const keyLines = [contents.caKey, contents.key].map((pem) => pem?.split('\n')[5] ?? '');
    for (const replica of replicas) {
      assert.ok(replica.output().length > 0);
      assert.ok(!replica.output().includes('PRIVATE KEY'));
      for (const line of keyLines) assert.ok(line.length > 40 && !replica.output().includes(line), 'a private key reached the log');
    }
  });
});

describe('TLS_MODE=self: a CA rotation while the API server keeps calling', { timeout: 180_000 }, () => {
  let cluster: TestCluster;
  let standIn: EcrStandIn;
  let fixture: Fixture;
  let replicas: WebhookProcess[] = [];

  before(async () => {
    // Short lives so a whole rotation fits in a test: certificates renew every ~8 s, the CA after ~24 s.
    ({ cluster, standIn, fixture, replicas } = await setUpReplicas('srot', { TLS_CHECK_INTERVAL: '1s', TLS_LEAF_VALIDITY: '12s', TLS_CA_VALIDITY: '36s' }));
  });

  after(() => tearDownReplicas({ cluster, standIn, fixture, replicas }));

  it('admits every Secret across certificate renewals, a CA rotation and its clean-up, in both replicas', async () => {
    const initialCa = (await readTlsSecret(cluster, fixture)).caCert;
    const bundleSizes = new Set<number>();
    const served = replicas.map(() => new Set<string>());
    const failures: string[] = [];
    let admitted = 0;
    let target = 0;
    await pointWebhookAt(cluster, fixture, replicas[0]!.port);
    const started = Date.now();
    const rotationDone = (): boolean => replicas.some((replica) => /wrote the TLS Secret \(drop-previous-ca\)/.test(replica.output()));
    // Until the old CA has left the caBundle (or 90 s): admissions through the API server without pause, the
    // webhook URL flipped between the replicas every 3 s, and each replica probed with the published caBundle.
    while (!rotationDone() && Date.now() - started < 90_000) {
      const flip = Math.floor((Date.now() - started) / 3_000) % replicas.length;
      if (flip !== target) {
        target = flip;
        await pointWebhookAt(cluster, fixture, replicas[target]!.port);
      }
      try {
        if (await admitSecret(cluster, fixture.appsNamespace)) admitted += 1;
        else failures.push('a Secret came back unfilled');
      } catch (error) {
        failures.push(toKubernetesError(error, `${Math.round((Date.now() - started) / 100) / 10} s: create`).message);
      }
      const bundle = await publishedBundle(cluster, fixture);
      bundleSizes.add(normalizeBundle(bundle).match(/BEGIN CERTIFICATE/g)?.length ?? 0);
      for (const [index, replica] of replicas.entries()) {
        try {
          served[index]!.add((await servedCertificate(replica.port, bundle)).fingerprint256);
        } catch (error) {
          failures.push(`replica ${index} not trusted by the published caBundle: ${(error as Error).message}`);
        }
      }
    }
    const elapsedS = Math.round((Date.now() - started) / 1000);
    const log = replicas.map((replica) => replica.output()).join('\n');
    assert.ok(rotationDone(), `no complete CA rotation within ${elapsedS} s:\n${linesMatching(log, /wrote the TLS Secret/).join('\n')}`);
    assert.deepEqual(failures, [], `${failures.length} failures in ${admitted} admissions; writes: ${writesInOrder(replicas).join(' → ')}`);
    assert.ok(admitted >= 30, `only ${admitted} admissions in ${elapsedS} s`);
    assert.notEqual((await readTlsSecret(cluster, fixture)).caCert, initialCa, 'the CA was replaced');
    assert.ok(bundleSizes.has(2), 'the old and the new CA were published together for a while');
    // The replica that dropped the old CA writes the Secret first and publishes the caBundle right after it.
    const published = async (): Promise<number | undefined> => normalizeBundle(await publishedBundle(cluster, fixture)).match(/BEGIN CERTIFICATE/g)?.length;
    await waitFor(async () => ((await published()) === 1 ? true : undefined), 10_000, () => `the old CA is still published:\n${log}`);
    assert.equal(await published(), 1, 'and the old one left after');
    for (const action of ['rotate-ca', 'issue-leaf', 'drop-previous-ca']) assert.match(log, new RegExp(`wrote the TLS Secret \\(${action}\\)`));
    for (const [index, replica] of replicas.entries()) {
      assert.ok(served[index]!.size >= 3, `replica ${index} served ${served[index]!.size} certificates`);
      assert.match(replica.output(), /now serving a new TLS certificate/, 'swapped in place (same process)');
      assert.equal(replica.child.exitCode, null);
    }
    console.log(
      `rotation: ${admitted} admissions in ${elapsedS} s, 0 failures; certificates served per replica: ${served.map((set) => set.size).join(', ')}; ` +
        `Secret writes in order: ${writesInOrder(replicas).join(' → ')}; lost races: ${linesMatching(log, /another replica updated/).length}`,
    );
  });
});

describe('TLS_MODE=self without the permissions or objects it needs', { timeout: 120_000 }, () => {
  let cluster: TestCluster;
  let standIn: EcrStandIn;
  let fixture: Fixture;
  let user: string;
  const cleanups: Array<() => Promise<unknown>> = [];

  before(async () => {
    cluster = await ensureCluster();
    standIn = await startEcrStandIn();
    fixture = await createFixture(cluster, 'srbac');
    user = uniqueName('no-rights');
  });

  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await standIn?.close();
    await deleteFixture(cluster, fixture);
  });

  it('stays alive and not ready, names each missing permission, and becomes ready once the chart’s RBAC exists', async () => {
    const kubeconfig = await kubeconfigForUser(cluster, user);
    const webhook = await startWaitingWebhook(selfTlsEnv(cluster, fixture, standIn, { KUBECONFIG: kubeconfig, TLS_CHECK_INTERVAL: '2s' }));
    cleanups.push(() => webhook.stop());
    const expect = (pattern: RegExp): Promise<string> => waitFor(() => linesMatching(webhook.output(), pattern)[0], 15_000, () => webhook.output());
    const ref = `${fixture.tlsNamespace}/${fixture.secretName}`;

    // No RBAC at all: the first thing it needs is to read its Secret.
    const forbidden = await expect(new RegExp(`cannot get Secret ${ref}: .*forbidden.*missing RBAC permission: .*Role in namespace ${fixture.tlsNamespace} allowing \\\\"get\\\\" on secrets with resourceNames \\[\\\\"${fixture.secretName}\\\\"\\]`));
    assert.match(forbidden, /"code":"ECR_ANYWHERE_KUBERNETES_API","status":403/, 'the stable code and the API server status');
    await expect(/"attempt":3,/); // retried with backoff, not crashed
    assert.ok(webhook.running());
    assert.equal((await getText(webhook.opsPort, '/readyz')).status, 503);
    assert.equal((await getText(webhook.opsPort, '/healthz')).status, 200);
    assert.doesNotMatch(webhook.output(), /is serving POST \/sync/);

    // Read but not write.
    const grantSecret = async (verbs: string[]): Promise<void> => {
      const role = { metadata: { name: user, namespace: fixture.tlsNamespace }, rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: [fixture.secretName], verbs }] };
      await cluster.rbac.deleteNamespacedRole({ name: user, namespace: fixture.tlsNamespace }).catch(() => undefined);
      await cluster.rbac.createNamespacedRole({ namespace: fixture.tlsNamespace, body: role });
    };
    await grantSecret(['get']);
    await cluster.rbac.createNamespacedRoleBinding({
      namespace: fixture.tlsNamespace,
      body: {
        metadata: { name: user },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: user },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
      },
    });
    await expect(new RegExp(`cannot update Secret ${ref}: .*forbidden.*allowing \\\\"update\\\\" on secrets`));

    // The Secret, but not the webhook configuration.
    await grantSecret(['get', 'update']);
    await expect(new RegExp(`cannot get MutatingWebhookConfiguration ${fixture.configurationName}: .*forbidden.*ClusterRole allowing \\\\"get\\\\" on admissionregistration.k8s.io mutatingwebhookconfigurations with resourceNames \\[\\\\"${fixture.configurationName}\\\\"\\]`));
    assert.equal((await getText(webhook.opsPort, '/readyz')).status, 503, 'a certificate the API server does not trust is not ready');

    // Exactly the chart's permissions: get/update of the Secret, get/patch of the webhook configuration, and
    // list/watch of namespaces (the namespace watch, on by default: not ready until it has synced).
    cleanups.push(() => cluster.rbac.deleteClusterRoleBinding({ name: user }), () => cluster.rbac.deleteClusterRole({ name: user }));
    await cluster.rbac.createClusterRole({
      body: {
        metadata: { name: user },
        rules: [
          { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], resourceNames: [fixture.configurationName], verbs: ['get', 'patch'] },
          { apiGroups: [''], resources: ['namespaces'], verbs: ['list', 'watch'] },
        ],
      },
    });
    await cluster.rbac.createClusterRoleBinding({
      body: {
        metadata: { name: user },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: user },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
      },
    });
    await expect(/is serving POST \/sync/);
    // Ready once the namespace watch's next retry (at most 5 s apart) has synced too.
    await waitFor(async () => ((await getText(webhook.opsPort, '/readyz')).status === 200 ? true : undefined), 15_000, () => webhook.output());
    assert.equal(normalizeBundle(await publishedBundle(cluster, fixture)), normalizeBundle((await readTlsSecret(cluster, fixture)).caCert ?? ''));
    assert.ok(!webhook.output().includes('PRIVATE KEY'));
  });

  it('says which object is missing, stays not ready, and stops at once on SIGTERM', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ TLS_SECRET_NAME: 'no-such-secret' }, /cannot get Secret [^ ]+\/no-such-secret: .*not found — the Secret must exist \(the Helm chart creates it empty\); check TLS_SECRET_NAME and POD_NAMESPACE/],
      [{ WEBHOOK_CONFIGURATION_NAME: 'no-such-webhook' }, /cannot get MutatingWebhookConfiguration no-such-webhook: .*not found — check WEBHOOK_CONFIGURATION_NAME/],
    ];
    for (const [env, pattern] of cases) {
      const webhook = await startWaitingWebhook(selfTlsEnv(cluster, fixture, standIn, env));
      try {
        await waitFor(() => linesMatching(webhook.output(), pattern)[0], 15_000, () => webhook.output());
        assert.equal((await getText(webhook.opsPort, '/readyz')).status, 503);
      } finally {
        const stoppedAt = Date.now();
        assert.equal(await webhook.stop(), 0);
        assert.ok(Date.now() - stoppedAt < 5_000, 'SIGTERM ends the wait for a certificate');
      }
      assert.match(webhook.output(), /stopped before a TLS certificate was loaded/);
    }
  });
});
