// The real webhook process with client authentication (CLIENT_CA_FILE, CLIENT_ALLOWED_NAMES), its TLS floor and its
// socket limits, over real TLS connections from this process: who gets an answer, who gets none at all.
import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AdmissionReviewResponse } from '../../src/http/review-envelope.js';
import { createSelfSignedServing, type PemPair, type ServingCertificate } from '../../src/tls/certificates.js';
import { standInAwsEnv } from '../../harness/aws-env.js';
import { issueClientCertificate, testClientCa } from '../../harness/client-certificates.js';
import { startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';
import { managedSecret, secretReview } from '../../harness/reviews.js';
import { exchange, stallAfter, type Exchange, type TlsClientOptions } from '../../harness/tls-client.js';
import { getText, startWebhookProcess, type WebhookProcess } from '../../harness/webhook-process.js';

const CANARY = 'CANARY-9a7c1e-mtls';
const WARNING = /no CLIENT_CA_FILE: any client that reaches the TLS port/g;

async function writeAtomically(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

/** Log lines are written asynchronously: wait (bounded) for one to appear. */
async function waitForOutput(webhook: WebhookProcess, pattern: RegExp): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!pattern.test(webhook.output()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.match(webhook.output(), pattern);
}

function assertNoAnswer(result: Exchange, what: string): void {
  assert.equal(result.answered, false, `${what} got an answer: ${result.answered ? `${result.status} ${result.body.slice(0, 200)}` : ''}`);
}

function assertPatched(result: Exchange, uid: string): void {
  assert.ok(result.answered, `no answer: ${!result.answered ? result.error : ''}`);
  assert.equal(result.status, 200);
  const body = JSON.parse(result.body) as AdmissionReviewResponse;
  assert.equal(body.response.uid, uid);
  assert.equal(body.response.allowed, true);
  assert.ok(body.response.patch, 'a patch with the credentials');
}

describe('webhook process with CLIENT_CA_FILE and CLIENT_ALLOWED_NAMES', () => {
  let standIn: EcrStandIn;
  let dir: string;
  let serving: ServingCertificate;
  let clientCa: PemPair;
  let webhook: WebhookProcess;
  const clients: Record<'apiserver' | 'bySan' | 'otherCa' | 'wrongName', PemPair> = {} as never;
  const as = (client: PemPair | undefined): TlsClientOptions => ({ port: webhook.port, ca: serving.caPem, ...(client ? { client } : {}) });

  before(async () => {
    standIn = await startEcrStandIn({ passwordFor: (region, n) => `${CANARY}-${region}-${n}` });
    dir = await mkdtemp(join(tmpdir(), 'ecr-anywhere-mtls-'));
    serving = createSelfSignedServing({ hosts: ['localhost', '127.0.0.1'], now: new Date(), validityDays: 2 });
    clientCa = testClientCa('webhook-client-ca');
    clients.apiserver = issueClientCertificate(clientCa, { commonName: 'kube-apiserver' });
    clients.bySan = issueClientCertificate(clientCa, { commonName: 'front-proxy', dnsNames: ['webhook-client.example'] });
    clients.wrongName = issueClientCertificate(clientCa, { commonName: 'intruder', dnsNames: ['intruder.example'] });
    clients.otherCa = issueClientCertificate(testClientCa('another-ca'), { commonName: 'kube-apiserver' });
    await writeFile(join(dir, 'tls.crt'), serving.certPem);
    await writeFile(join(dir, 'tls.key'), serving.keyPem);
    await writeFile(join(dir, 'client-ca.crt'), clientCa.certPem);
    webhook = await startWebhookProcess({
      ...standInAwsEnv(standIn.url),
      CERT_FILE: join(dir, 'tls.crt'),
      KEY_FILE: join(dir, 'tls.key'),
      CLIENT_CA_FILE: join(dir, 'client-ca.crt'),
      CLIENT_ALLOWED_NAMES: 'kube-apiserver, webhook-client.example',
      LOG_LEVEL: 'debug',
    });
  });
  after(async () => {
    await webhook?.stop();
    await standIn.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers a client whose certificate chains to the CA and carries an allowed CN or DNS SAN', async () => {
    assertPatched(await exchange(as(clients.apiserver), '/sync', secretReview(managedSecret(), { uid: 'mtls-cn' })), 'mtls-cn');
    assertPatched(await exchange(as(clients.bySan), '/sync', secretReview(managedSecret(), { uid: 'mtls-san' })), 'mtls-san');
    assert.doesNotMatch(webhook.output(), WARNING, 'no exposure warning when client authentication is on');
  });

  it('gives no answer at all without a certificate, with one from another CA, or with one carrying no allowed name', async () => {
    const issuedBefore = standIn.issued.length;
    assertNoAnswer(await exchange(as(undefined), '/sync', secretReview(managedSecret())), 'a client without a certificate');
    assertNoAnswer(await exchange(as(clients.otherCa), '/sync', secretReview(managedSecret())), 'a certificate from another CA');
    assertNoAnswer(await exchange(as(clients.wrongName), '/sync', secretReview(managedSecret())), 'a certificate with no allowed name');
    assert.equal(standIn.issued.length, issuedBefore, 'no token was fetched for them');
    await waitForOutput(webhook, /carries none of CLIENT_ALLOWED_NAMES/);
    assert.equal((await getText(webhook.opsPort, '/readyz')).status, 200, 'refused clients do not disturb readiness');
  });

  it('cuts off a client that stalls in its headers, and one that never starts TLS, within ~10 s', async () => {
    const [halfHeader, silentTcp] = await Promise.all([
      stallAfter(as(clients.apiserver), 'POST /sync HTTP/1.1\r\nHost: localhost\r\nContent-Ty', 30_000),
      new Promise<number | undefined>((resolve) => {
        const started = Date.now();
        const socket = connectTcp(webhook.port, '127.0.0.1');
        const giveUp = setTimeout(() => (socket.destroy(), resolve(undefined)), 30_000);
        socket.on('error', () => undefined);
        socket.on('close', () => (clearTimeout(giveUp), resolve(Date.now() - started)));
      }),
    ]);
    // Limits are 10 s, checked every second; 20 s leaves room for a loaded machine and still fails Node's defaults
    // (60 s for headers, checked every 30 s; 120 s for a TLS handshake).
    assert.ok(halfHeader.closedAfterMs !== undefined && halfHeader.closedAfterMs < 20_000, `half a header held the socket for ${halfHeader.closedAfterMs ?? '30 000+'} ms`);
    assert.doesNotMatch(halfHeader.received, /AdmissionReview/);
    assert.ok(silentTcp !== undefined && silentTcp < 20_000, `a silent TCP connection was held for ${silentTcp ?? '30 000+'} ms`);
  });

  it('reloads a changed CA file: clients of the new CA are answered, clients of the old one no longer', async () => {
    const nextCa = testClientCa('webhook-client-ca-next');
    const nextClient = issueClientCertificate(nextCa, { commonName: 'kube-apiserver' });
    assertNoAnswer(await exchange(as(nextClient), '/sync', secretReview(managedSecret())), 'a client of the next CA before the reload');
    await writeAtomically(join(dir, 'client-ca.crt'), 'not a certificate\n');
    await writeAtomically(join(dir, 'client-ca.crt'), nextCa.certPem);
    const deadline = Date.now() + 15_000;
    let result: Exchange = { answered: false, error: 'not tried' };
    while (Date.now() < deadline) {
      result = await exchange(as(nextClient), '/sync', secretReview(managedSecret(), { uid: 'after-reload' }));
      if (result.answered) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assertPatched(result, 'after-reload');
    assertNoAnswer(await exchange(as(clients.apiserver), '/sync', secretReview(managedSecret())), 'a client of the replaced CA');
    await waitForOutput(webhook, /reloaded the client CA bundle/);
  });

  it('never writes tokens to its output', () => {
    assert.ok(!webhook.output().includes(CANARY));
  });
});

describe('webhook process TLS floor and the warning without client authentication', () => {
  let standIn: EcrStandIn;
  before(async () => {
    standIn = await startEcrStandIn();
  });
  after(async () => standIn.close());

  async function withWebhook(env: Record<string, string>, work: (webhook: WebhookProcess, options: TlsClientOptions) => Promise<void>): Promise<void> {
    const serving = createSelfSignedServing({ hosts: ['localhost', '127.0.0.1'], now: new Date(), validityDays: 2 });
    const dir = await mkdtemp(join(tmpdir(), 'ecr-anywhere-tls-floor-'));
    await writeFile(join(dir, 'tls.crt'), serving.certPem);
    await writeFile(join(dir, 'tls.key'), serving.keyPem);
    const webhook = await startWebhookProcess({ ...standInAwsEnv(standIn.url), CERT_FILE: join(dir, 'tls.crt'), KEY_FILE: join(dir, 'tls.key'), ...env });
    try {
      await work(webhook, { port: webhook.port, ca: serving.caPem });
    } finally {
      await webhook.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('by default accepts TLS 1.2 and 1.3, refuses 1.1, and warns once that the port is open to any client', async () => {
    await withWebhook({}, async (webhook, options) => {
      const tls12 = await exchange({ ...options, maxVersion: 'TLSv1.2' }, '/sync', secretReview(managedSecret()));
      assert.ok(tls12.answered && tls12.protocol === 'TLSv1.2', JSON.stringify(tls12));
      const tls13 = await exchange(options, '/sync', secretReview(managedSecret()));
      assert.ok(tls13.answered && tls13.protocol === 'TLSv1.3', JSON.stringify(tls13));
      const tls11 = await exchange({ ...options, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }, '/sync', secretReview(managedSecret()));
      assertNoAnswer(tls11, 'a TLS 1.1 client');
      assert.equal(webhook.output().match(WARNING)?.length, 1, webhook.output());
      assert.match(webhook.output(), /set CLIENT_CA_FILE/);
    });
  });

  it('with TLS_MIN_VERSION=1.3 refuses a TLS 1.2 client', async () => {
    await withWebhook({ TLS_MIN_VERSION: '1.3' }, async (_webhook, options) => {
      assertNoAnswer(await exchange({ ...options, maxVersion: 'TLSv1.2' }, '/sync', secretReview(managedSecret())), 'a TLS 1.2 client');
      const tls13 = await exchange(options, '/sync', secretReview(managedSecret()));
      assert.ok(tls13.answered && tls13.protocol === 'TLSv1.3', JSON.stringify(tls13));
    });
  });

  it('exits 2 when CLIENT_CA_FILE is missing or holds no CA certificate', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ecr-anywhere-bad-ca-'));
    try {
      const leaf = createSelfSignedServing({ hosts: ['localhost'], now: new Date(), validityDays: 1 });
      await writeFile(join(dir, 'leaf.crt'), leaf.certPem);
      await assert.rejects(startWebhookProcess({ ...standInAwsEnv(standIn.url), CLIENT_CA_FILE: join(dir, 'missing.crt') }), /exited with 2[\s\S]*CLIENT_CA_FILE=\S+ unreadable \(ENOENT\)/);
      await assert.rejects(startWebhookProcess({ ...standInAwsEnv(standIn.url), CLIENT_CA_FILE: join(dir, 'leaf.crt') }), /exited with 2[\s\S]*is not a CA certificate/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 for an AWS_REGION no partition lists', async () => {
    await assert.rejects(startWebhookProcess({ ...standInAwsEnv(standIn.url, 'xx-fake-9') }), /exited with 2[\s\S]*"xx-fake-9" is not a region of any AWS partition/);
  });
});
