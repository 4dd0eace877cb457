// Short role sessions and skewed clocks, with the real webhook process and the real AWS SDK: web identity
// (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE) exchanged at moto's STS (AWS_ENDPOINT_URL_STS), tokens from the ECR
// stand-in (AWS_ENDPOINT_URL_ECR). No static keys anywhere.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import jsonPatch from 'fast-json-patch';
import { EXPIRES_AT_ANNOTATION } from '../../src/common/names.js';
import type { AdmissionReviewResponse } from '../../src/http/review-envelope.js';
import type { SecretObject } from '../../src/admission/review.js';
import { createSelfSignedServing, type ServingCertificate } from '../../src/tls/certificates.js';
import { standInAwsEnv } from '../../harness/aws-env.js';
import { startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';
import { startMotoSts, type MotoSts } from '../../harness/moto-sts.js';
import { managedSecret, secretReview } from '../../harness/reviews.js';
import { postJson, startWebhookProcess, type WebhookProcess } from '../../harness/webhook-process.js';

const HOUR = 3_600_000;
const SHORT_CREDENTIALS = 'ECR_ANYWHERE_SHORT_CREDENTIALS';

let standIn: EcrStandIn;
let sts: MotoSts;
let dir: string;
let pair: ServingCertificate;

/** Standard variables for web identity at moto and tokens at the stand-in: no access keys. */
function webIdentityEnv(extra: Record<string, string> = {}): Record<string, string> {
  const base = standInAwsEnv(standIn.url);
  delete base.AWS_ACCESS_KEY_ID;
  delete base.AWS_SECRET_ACCESS_KEY;
  return { ...base, ...sts.webIdentityEnv(), CERT_FILE: join(dir, 'tls.crt'), KEY_FILE: join(dir, 'tls.key'), ...extra };
}

async function admitExpiresAt(webhook: WebhookProcess, uid: string): Promise<Date> {
  const secret = managedSecret();
  const reply = await postJson(webhook.port, '/sync', secretReview(secret, { uid }), pair.caPem);
  const body = JSON.parse(reply.body) as AdmissionReviewResponse;
  assert.equal(body.response.allowed, true, reply.body);
  const operations = JSON.parse(Buffer.from(body.response.patch ?? '', 'base64').toString('utf8')) as jsonPatch.Operation[];
  const patched: SecretObject = jsonPatch.applyPatch(structuredClone(secret), operations).newDocument;
  return new Date(patched.metadata?.annotations?.[EXPIRES_AT_ANNOTATION] ?? '');
}

async function waitForOutput(webhook: WebhookProcess, text: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!webhook.output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`no "${text}" in the webhook's output within ${timeoutMs} ms:\n${webhook.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

before(async () => {
  [standIn, sts] = await Promise.all([startEcrStandIn(), startMotoSts()]);
  dir = await mkdtemp(join(tmpdir(), 'ecr-anywhere-sessions-'));
  pair = createSelfSignedServing({ hosts: ['localhost', '127.0.0.1'], now: new Date(), validityDays: 30 });
  await writeFile(join(dir, 'tls.crt'), pair.certPem);
  await writeFile(join(dir, 'tls.key'), pair.keyPem);
});
after(async () => {
  await Promise.all([standIn?.close(), sts?.close()]);
  await rm(dir, { recursive: true, force: true });
});

describe('webhook with 1-hour web-identity sessions (STS default)', () => {
  let webhook: WebhookProcess;
  before(async () => {
    standIn.calls.length = 0;
    webhook = await startWebhookProcess(webIdentityEnv());
  });
  after(async () => webhook?.stop());

  it('says at start that the credentials cannot give tokens longer than REFRESH_THRESHOLD, with the fix', async () => {
    await waitForOutput(webhook, SHORT_CREDENTIALS);
    const line = webhook.output().split('\n').find((entry) => entry.includes(SHORT_CREDENTIALS)) ?? '';
    assert.match(line, /live only (59m|1h 0m).*MaxSessionDuration.*AWS_ROLE_SESSION_DURATION=12h/);
  });

  it('writes the effective expiry: the session end, not ECR 12 h', async () => {
    const before = Date.now();
    const expiresAt = await admitExpiresAt(webhook, 'short-1');
    const life = expiresAt.getTime() - before;
    assert.ok(life > 0.9 * HOUR && life <= HOUR + 5_000, `expires_at ${expiresAt.toISOString()} is ${life / 60_000} min away`);
    assert.ok(standIn.calls.length > 0 && standIn.calls.every((call) => call.accessKeyId.startsWith('ASIA')), 'ECR was called with the session moto issued');
  });
});

describe('webhook with AWS_ROLE_SESSION_DURATION=12h', () => {
  let webhook: WebhookProcess;
  before(async () => {
    webhook = await startWebhookProcess(webIdentityEnv({ AWS_ROLE_SESSION_DURATION: '12h' }));
  });
  after(async () => webhook?.stop());

  it('gets 12-hour sessions, so tokens keep ECR 12 h and nothing is said about short credentials', async () => {
    const before = Date.now();
    const expiresAt = await admitExpiresAt(webhook, 'long-1');
    assert.ok(expiresAt.getTime() - before > 11.9 * HOUR, `expires_at ${expiresAt.toISOString()}`);
    assert.ok(!webhook.output().includes(SHORT_CREDENTIALS), webhook.output());
  });
});

describe('webhook whose clock is 2 h ahead of AWS', () => {
  let webhook: WebhookProcess;
  before(async () => {
    standIn.clockOffsetMs = -2 * HOUR;
    standIn.calls.length = 0;
    webhook = await startWebhookProcess({ ...standInAwsEnv(standIn.url), CERT_FILE: join(dir, 'tls.crt'), KEY_FILE: join(dir, 'tls.key') });
  });
  after(async () => {
    standIn.clockOffsetMs = 0;
    await webhook?.stop();
  });

  it('judges the token life from AWS Date header: one ECR call for many admissions, skew logged once', async () => {
    const before = Date.now();
    for (let round = 0; round < 5; round += 1) {
      const expiresAt = await admitExpiresAt(webhook, `skew-${round}`);
      assert.ok(expiresAt.getTime() - before > 11.9 * HOUR, `expires_at ${expiresAt.toISOString()} on our clock`);
    }
    assert.equal(standIn.calls.length, 1, 'a skewed clock does not turn every admission into an ECR call');
    assert.equal(webhook.output().split('\n').filter((line) => line.includes('clock is 2h 0m ahead of AWS')).length, 1, webhook.output());
  });
});
