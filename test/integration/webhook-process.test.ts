// The real CLI process over TLS, the real AWS SDK reaching the ECR stand-in via AWS_ENDPOINT_URL_ECR.
import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import jsonPatch from 'fast-json-patch';
import { ecrAuthEntry } from '../../src/admission/docker-config.js';
import type { AdmissionReviewResponse } from '../../src/http/review-envelope.js';
import { createSelfSignedServing, type ServingCertificate } from '../../src/tls/certificates.js';
import { standInAwsEnv } from '../../harness/aws-env.js';
import { startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';
import { decodeDockerConfigOf, managedSecret, secretReview } from '../../harness/reviews.js';
import { getText, postJson, startWebhookProcess, type WebhookProcess } from '../../harness/webhook-process.js';

const CANARY = 'CANARY-5f1e2a-process';

function servingCert(): ServingCertificate {
  return createSelfSignedServing({ hosts: ['localhost', '127.0.0.1'], now: new Date(), validityDays: 30 });
}

/** Writes the pair the way the kubelet swaps a mounted Secret: into a new directory, then an atomic rename. */
async function installPair(dir: string, pair: ServingCertificate): Promise<void> {
  const staging = await mkdtemp(join(dir, '.staging-'));
  await writeFile(join(staging, 'tls.crt'), pair.certPem);
  await writeFile(join(staging, 'tls.key'), pair.keyPem);
  await rename(join(staging, 'tls.crt'), join(dir, 'tls.crt'));
  await rename(join(staging, 'tls.key'), join(dir, 'tls.key'));
  await rm(staging, { recursive: true });
}

describe('ecr-anywhere webhook (process)', () => {
  let standIn: EcrStandIn;
  let dir: string;
  let first: ServingCertificate;
  let currentCa: string;
  let webhook: WebhookProcess;

  before(async () => {
    standIn = await startEcrStandIn({ passwordFor: (region, n) => `${CANARY}-${region}-${n}` });
    dir = await mkdtemp(join(tmpdir(), 'ecr-anywhere-it-'));
    first = servingCert();
    await installPair(dir, first);
    currentCa = first.caPem;
    webhook = await startWebhookProcess({
      ...standInAwsEnv(standIn.url),
      CERT_FILE: join(dir, 'tls.crt'),
      KEY_FILE: join(dir, 'tls.key'),
      LOG_LEVEL: 'trace',
    });
  });
  after(async () => {
    await webhook?.stop();
    await standIn.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers a review over TLS with a patch that applies with fast-json-patch', async () => {
    const secret = managedSecret();
    const reply = await postJson(webhook.port, '/sync', secretReview(secret, { uid: 'it-1' }), first.caPem);
    assert.equal(reply.status, 200);
    const body = JSON.parse(reply.body) as AdmissionReviewResponse;
    assert.equal(body.response.uid, 'it-1');
    const operations = JSON.parse(Buffer.from(body.response.patch ?? '', 'base64').toString('utf8')) as jsonPatch.Operation[];
    const patched = jsonPatch.applyPatch(structuredClone(secret), operations, true).newDocument;
    assert.deepEqual(decodeDockerConfigOf(patched).auths['123456789012.dkr.ecr.us-east-1.amazonaws.com'], ecrAuthEntry(standIn.issued[0]!));
    assert.equal(standIn.calls[0]?.accessKeyId, 'AKIASTANDIN000000001', 'credentials came from the standard variables');
  });

  it('is ready and serves metrics on the ops port', async () => {
    assert.equal((await getText(webhook.opsPort, '/healthz')).status, 200);
    assert.equal((await getText(webhook.opsPort, '/readyz')).status, 200);
    const metrics = (await getText(webhook.opsPort, '/metrics')).body;
    assert.match(metrics, /ecr_anywhere_admissions_total\{outcome="patched"\} 1/);
    assert.match(metrics, /ecr_anywhere_ecr_requests_total\{region="us-east-1",outcome="success"\} 1/);
    assert.match(metrics, /ecr_anywhere_token_expiry_seconds\{region="us-east-1"\} 4\d{4}/);
    assert.match(metrics, /ecr_anywhere_admission_duration_seconds_bucket/);
  });

  it('reloads a swapped certificate within 10 s without failing requests in between', async () => {
    const before = await postJson(webhook.port, '/sync', secretReview(managedSecret()), first.caPem);
    const second = servingCert();
    await installPair(dir, second);
    const deadline = Date.now() + 10_000;
    let served = 0;
    let switched = false;
    while (Date.now() < deadline && !switched) {
      // Trust both CAs while the swap happens: every request must succeed, whichever certificate is served.
      const reply = await postJson(webhook.port, '/sync', secretReview(managedSecret()), `${first.caPem}${second.caPem}`);
      assert.equal(reply.status, 200);
      served += 1;
      switched = reply.peerFingerprint !== before.peerFingerprint;
      if (!switched) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.ok(switched, `still serving the old certificate after 10 s (${served} requests)`);
    currentCa = second.caPem;
    await assert.rejects(postJson(webhook.port, '/sync', secretReview(managedSecret()), first.caPem), /certificate/);
    assert.match(webhook.output(), /reloaded the TLS certificate/);
  });

  it('never writes tokens or Secret data to its output in any encoding, even at trace level', async () => {
    // Secret data that needs JSON escaping, so its plain, base64 and JSON-escaped forms all differ.
    const data = `${CANARY}-data "quoted" \\ ü`;
    const holding = managedSecret({ data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { 'ghcr.io': { auth: data } } })).toString('base64'), other: Buffer.from(data).toString('base64') } });
    const answered = await postJson(webhook.port, '/sync', secretReview(holding, { operation: 'UPDATE', oldObject: holding }), currentCa);
    assert.equal(answered.status, 200);
    const broken = await postJson(webhook.port, '/sync', `{"request": "${data}`, currentCa);
    assert.equal(broken.status, 400);
    const password = standIn.issued[0];
    assert.ok(password !== undefined, 'a token was issued');
    const secrets = [data, password, JSON.stringify(data).slice(1, -1)];
    const forms = secrets.flatMap((text) => [text, Buffer.from(text).toString('base64'), Buffer.from(`AWS:${text}`).toString('base64')]);
    // Base64 inside a longer value starts at any of three byte offsets: look for a long middle part of each.
    const fragments = secrets.flatMap((text) => [0, 1, 2].map((shift) => Buffer.from(`${'x'.repeat(shift)}${text}`).toString('base64').slice(4, -4)));
    assert.ok(webhook.output().length > 0);
    for (const form of [...forms, ...fragments]) assert.ok(!webhook.output().includes(form), `secret material leaked into the logs: ${form.slice(0, 12)}…`);
  });

  it('drains an in-flight review on SIGTERM and exits 0, without waiting for idle keep-alive connections', async () => {
    // The API server keeps its connections alive: one idle across the shutdown, one that falls idle after its review.
    const keepAlive = new Agent({ keepAlive: true, ca: currentCa });
    const held = await postJson(webhook.port, '/sync', secretReview(managedSecret()), currentCa, keepAlive);
    assert.equal(held.status, 200);
    standIn.behaviour = 'hang';
    const inFlight = postJson(webhook.port, '/sync', secretReview(managedSecret({ annotations: { 'ecr-anywhere.centml.ai/registries': '123456789012.dkr.ecr.eu-west-3.amazonaws.com' } })), currentCa, keepAlive).catch((e: Error) => e);
    // SIGTERM only once the review is in flight: the webhook has asked ECR for the region and is waiting.
    const askedUntil = Date.now() + 10_000;
    while (!standIn.calls.some((call) => call.region === 'eu-west-3')) {
      assert.ok(Date.now() < askedUntil, 'the review never reached ECR');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    webhook.child.kill('SIGTERM');
    const reply = await inFlight;
    assert.ok(!(reply instanceof Error), `in-flight request failed: ${reply instanceof Error ? reply.message : ''}`);
    assert.equal(reply.status, 200);
    assert.equal((JSON.parse(reply.body) as AdmissionReviewResponse).response.allowed, false, 'answered as an ECR timeout');
    const stoppedWithin = await Promise.race([webhook.exited.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 10_000))]);
    keepAlive.destroy();
    assert.ok(stoppedWithin, 'the webhook was still running 10 s after SIGTERM');
    assert.equal(await webhook.exited, 0);
    assert.match(webhook.output(), /shutting down/);
  });
});

describe('ecr-anywhere webhook without certificate files', () => {
  it('makes a self-signed pair, logs where its CA bundle is, and serves with it', async () => {
    const standIn = await startEcrStandIn();
    const webhook = await startWebhookProcess({ ...standInAwsEnv(standIn.url) });
    try {
      const line = webhook.output().split('\n').find((l) => l.includes('self-signed'));
      const caFile = (JSON.parse(line ?? '{}') as { caFile?: string }).caFile;
      assert.ok(caFile, webhook.output());
      const { readFile } = await import('node:fs/promises');
      const reply = await postJson(webhook.port, '/sync', secretReview(managedSecret()), await readFile(caFile, 'utf8'));
      assert.equal(reply.status, 200);
    } finally {
      await webhook.stop();
      await standIn.close();
    }
  });

  it('exits 2 with a clear message when AWS_REGION is missing', async () => {
    await assert.rejects(startWebhookProcess({ AWS_REGION: '' }), /exited with 2[\s\S]*AWS_REGION is required/);
  });
});
