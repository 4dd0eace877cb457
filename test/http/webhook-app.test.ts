// HTTP behaviour of POST /sync through app.inject(): the real handler, token cache and ECR adapter, with the
// AWS SDK talking to the ECR stand-in over HTTP.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import jsonPatch from 'fast-json-patch';
import { ecrAuthEntry } from '../../src/admission/docker-config.js';
import { createMetricsRegistry } from '../../src/common/metrics.js';
import { EXPIRES_AT_ANNOTATION, REGISTRIES_ANNOTATION } from '../../src/common/names.js';
import { systemClock } from '../../src/common/time.js';
import type { SecretObject } from '../../src/admission/review.js';
import type { AdmissionReviewResponse } from '../../src/http/review-envelope.js';
import { buildWebhookApp } from '../../src/http/webhook-app.js';
import { composeWebhook, type WebhookParts } from '../../src/webhook/compose.js';
import { registerWebhookMetrics } from '../../src/http/metrics.js';
import type { AdmissionHandler } from '../../src/admission/handler.js';
import { useStandInAwsEnv } from '../../harness/aws-env.js';
import { startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';
import { captureLogs, type CapturedLogs } from '../../harness/log-capture.js';
import { decodeDockerConfigOf, managedSecret, secretReview } from '../../harness/reviews.js';

const CANARY = 'CANARY-d0c4e7-never-log-me';
const HOUR = 3_600_000;
const DEFAULT_HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

let standIn: EcrStandIn;
let restoreEnv: () => void;
let parts: WebhookParts;
let logs: CapturedLogs;
let registry: ReturnType<typeof createMetricsRegistry>;

function freshWebhook(ecrTimeoutMs = 4000): void {
  logs = captureLogs('trace');
  registry = createMetricsRegistry({ processMetrics: false });
  parts = composeWebhook({ awsRegion: 'us-east-1', ecrTimeoutMs, logger: logs.logger, registry, clock: systemClock });
}

async function post(body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  return parts.app.inject({ method: 'POST', url: '/sync', headers, payload: typeof body === 'string' ? body : JSON.stringify(body) });
}

function applyResponse(secret: SecretObject, response: AdmissionReviewResponse): SecretObject {
  const patch = response.response.patch;
  if (!patch) return secret;
  const operations = JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as jsonPatch.Operation[];
  return jsonPatch.applyPatch(structuredClone(secret), operations).newDocument;
}

before(async () => {
  standIn = await startEcrStandIn({ passwordFor: (region, n) => `${CANARY}-${region}-${n}` });
  restoreEnv = useStandInAwsEnv(standIn.url);
});
after(async () => {
  restoreEnv();
  await standIn.close();
});
afterEach(async () => {
  await parts?.app.close();
  standIn.behaviour = 'ok';
  standIn.calls.length = 0;
});

describe('POST /sync with a managed Secret', () => {
  it('answers with the uid and a JSONPatch that fills the default registry', async () => {
    freshWebhook();
    const secret = managedSecret();
    const review = secretReview(secret, { uid: 'uid-123' });
    const reply = await post(review);
    assert.equal(reply.statusCode, 200);
    const body = reply.json<AdmissionReviewResponse>();
    assert.equal(body.apiVersion, 'admission.k8s.io/v1');
    assert.equal(body.kind, 'AdmissionReview');
    assert.equal(body.response.uid, 'uid-123');
    assert.equal(body.response.allowed, true);
    assert.equal(body.response.patchType, 'JSONPatch');
    const patched = applyResponse(secret, body);
    assert.deepEqual(decodeDockerConfigOf(patched).auths, { [DEFAULT_HOST]: ecrAuthEntry(standIn.issued[0]!) });
    assert.ok(patched.metadata?.annotations?.[EXPIRES_AT_ANNOTATION]);
  });

  it('shares one token per region across registries and accounts, and calls ECR once per region', async () => {
    freshWebhook();
    const registries = '111111111111.dkr.ecr.us-east-1.amazonaws.com,222222222222.dkr.ecr.us-east-1.amazonaws.com,111111111111.dkr.ecr.eu-west-1.amazonaws.com';
    const secret = managedSecret({ annotations: { [REGISTRIES_ANNOTATION]: registries } });
    const patched = applyResponse(secret, (await post(secretReview(secret))).json());
    const auths = decodeDockerConfigOf(patched).auths;
    assert.equal(auths['111111111111.dkr.ecr.us-east-1.amazonaws.com']?.password, auths['222222222222.dkr.ecr.us-east-1.amazonaws.com']?.password);
    assert.match(auths['111111111111.dkr.ecr.eu-west-1.amazonaws.com']?.password ?? '', /eu-west-1/);
    assert.deepEqual(standIn.calls.map((c) => c.region).sort(), ['eu-west-1', 'us-east-1']);
  });

  it('is idempotent: re-admitting the patched Secret yields no patch and no ECR call', async () => {
    freshWebhook();
    const secret = managedSecret();
    const patched = applyResponse(secret, (await post(secretReview(secret))).json());
    const again = (await post(secretReview(patched, { operation: 'UPDATE', oldObject: patched }))).json<AdmissionReviewResponse>();
    assert.equal(again.response.allowed, true);
    assert.equal(again.response.patch, undefined);
    assert.equal(again.response.patchType, undefined);
    assert.equal(standIn.calls.length, 1);
  });

  it('makes one ECR call for a cold burst of 50 concurrent admissions', async () => {
    freshWebhook();
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => post(secretReview(managedSecret({ name: `s${i}` })))));
    assert.ok(replies.every((r) => r.json<AdmissionReviewResponse>().response.patchType === 'JSONPatch'));
    assert.equal(standIn.calls.length, 1);
  });

  it('refuses a malformed registries entry with a message naming it', async () => {
    freshWebhook();
    const secret = managedSecret({ annotations: { [REGISTRIES_ANNOTATION]: 'quay.io/org' } });
    const body = (await post(secretReview(secret))).json<AdmissionReviewResponse>();
    assert.equal(body.response.allowed, false);
    assert.match(body.response.status?.message ?? '', /invalid entry "quay\.io\/org"/);
    assert.equal(standIn.calls.length, 0);
  });

  it('refuses a managed Secret of type Opaque', async () => {
    freshWebhook();
    const body = (await post(secretReview(managedSecret({ type: 'Opaque' })))).json<AdmissionReviewResponse>();
    assert.equal(body.response.allowed, false);
    assert.equal(body.response.status?.reason, 'ECR_ANYWHERE_WRONG_SECRET_TYPE');
  });

  it('allows unlabeled Secrets and protected namespaces without a patch or ECR call', async () => {
    freshWebhook();
    for (const secret of [managedSecret({ labels: {} }), managedSecret({ namespace: 'kube-system' })]) {
      const body = (await post(secretReview(secret))).json<AdmissionReviewResponse>();
      assert.deepEqual(body.response, { uid: body.response.uid, allowed: true });
    }
    assert.equal(standIn.calls.length, 0);
  });
});

describe('POST /sync when ECR fails', () => {
  const failures: Array<['refuse' | 'throttle' | 'malformed', RegExp, string]> = [
    ['refuse', /ECR GetAuthorizationToken in region us-east-1 was refused \(AccessDeniedException/, 'ECR_ANYWHERE_ECR_REFUSED'],
    ['throttle', /ECR GetAuthorizationToken in region us-east-1 was throttled/, 'ECR_ANYWHERE_ECR_THROTTLED'],
    ['malformed', /ECR GetAuthorizationToken in region us-east-1 failed \(MalformedResponse/, 'ECR_ANYWHERE_ECR_UNAVAILABLE'],
  ];
  for (const [behaviour, message, code] of failures) {
    it(`answers allowed:false naming ECR and the region (${behaviour})`, async () => {
      freshWebhook();
      standIn.behaviour = behaviour;
      const reply = await post(secretReview(managedSecret()));
      assert.equal(reply.statusCode, 200);
      const body = reply.json<AdmissionReviewResponse>();
      assert.equal(body.response.allowed, false);
      assert.match(body.response.status?.message ?? '', message);
      assert.equal(body.response.status?.reason, code);
      assert.match(await registry.metrics(), new RegExp(`ecr_anywhere_ecr_requests_total\\{region="us-east-1",outcome="${behaviour === 'refuse' ? 'refused' : behaviour === 'throttle' ? 'throttled' : 'unavailable'}"\\} 1`));
    });
  }

  it('answers a hanging ECR with allowed:false inside the budget', async () => {
    freshWebhook(1500);
    standIn.behaviour = 'hang';
    const started = Date.now();
    const body = (await post(secretReview(managedSecret()))).json<AdmissionReviewResponse>();
    const elapsed = Date.now() - started;
    assert.equal(body.response.allowed, false);
    assert.equal(body.response.status?.reason, 'ECR_ANYWHERE_ECR_TIMEOUT');
    assert.match(body.response.status?.message ?? '', /region us-east-1 timed out \(no answer within 1500 ms\)/);
    assert.ok(elapsed < 5000, `answered after ${elapsed} ms`);
  });

  it('recovers once ECR answers again (failures are not cached)', async () => {
    freshWebhook();
    standIn.behaviour = 'refuse';
    assert.equal((await post(secretReview(managedSecret()))).json<AdmissionReviewResponse>().response.allowed, false);
    standIn.behaviour = 'ok';
    assert.equal((await post(secretReview(managedSecret()))).json<AdmissionReviewResponse>().response.patchType, 'JSONPatch');
  });
});

describe('POST /sync with bad input', () => {
  const cases: Array<[string, string, Record<string, string>, number, string]> = [
    ['an empty body', '', { 'content-type': 'application/json' }, 400, 'ECR_ANYWHERE_EMPTY_BODY'],
    ['non-JSON', 'FAKE{', { 'content-type': 'application/json' }, 400, 'ECR_ANYWHERE_INVALID_JSON'],
    ['a wrong content type', '{}', { 'content-type': 'text/plain' }, 415, 'ECR_ANYWHERE_UNSUPPORTED_MEDIA_TYPE'],
    ['a review without request', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), { 'content-type': 'application/json' }, 400, 'ECR_ANYWHERE_BAD_REVIEW'],
    ['a v1beta1 review', JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'x' } }), { 'content-type': 'application/json' }, 400, 'ECR_ANYWHERE_BAD_REVIEW'],
    ['a JSON array', '[1,2,3]', { 'content-type': 'application/json' }, 400, 'ECR_ANYWHERE_BAD_REVIEW'],
  ];
  for (const [label, payload, headers, status, code] of cases) {
    it(`answers ${label} with ${status} and a JSON error, and keeps serving`, async () => {
      freshWebhook();
      const reply = await post(payload, headers);
      assert.equal(reply.statusCode, status);
      assert.equal(reply.json<{ code: string }>().code, code);
      assert.equal((await post(secretReview(managedSecret()))).statusCode, 200, 'still serving');
    });
  }

  it('refuses an oversized body with 413 but accepts an UPDATE carrying two 3 MiB Secrets', async () => {
    freshWebhook();
    const big = managedSecret({ data: { '.dockerconfigjson': 'FAKE', blob: 'A'.repeat(3 * 1024 * 1024) } });
    const update = await post(secretReview(big, { operation: 'UPDATE', oldObject: big }));
    assert.equal(update.statusCode, 200);
    const oversized = await post(JSON.stringify({ junk: 'A'.repeat(9 * 1024 * 1024) }));
    assert.equal(oversized.statusCode, 413);
    assert.equal(oversized.json<{ code: string }>().code, 'ECR_ANYWHERE_BODY_TOO_LARGE');
  });

  it('answers unknown routes with a JSON 404 pointing at /sync', async () => {
    freshWebhook();
    const reply = await parts.app.inject({ method: 'GET', url: '/' });
    assert.equal(reply.statusCode, 404);
    assert.match(reply.json<{ message: string }>().message, /POST \/sync/);
  });
});

describe('a handler that fails', () => {
  // The real handler does not throw; these stand-ins provoke what the HTTP layer must survive if it ever did.
  const failing: Record<string, AdmissionHandler> = {
    'throws at once': () => {
      throw new Error(`boom ${CANARY}`);
    },
    'rejects later': () => Promise.reject(new Error(`boom ${CANARY}`)),
  };
  for (const [how, handler] of Object.entries(failing)) {
    it(`${how}: the API server gets a well-formed refusal, counted and logged without the error's text`, async () => {
      const captured = captureLogs('trace');
      const ownRegistry = createMetricsRegistry({ processMetrics: false });
      const app = buildWebhookApp({ handler, logger: captured.logger, clock: systemClock, metrics: registerWebhookMetrics(ownRegistry, () => [], systemClock) });
      try {
        const reply = await app.inject({ method: 'POST', url: '/sync', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(secretReview(managedSecret(), { uid: 'u-fail' })) });
        assert.equal(reply.statusCode, 200);
        const body = reply.json<AdmissionReviewResponse>();
        assert.equal(body.response.uid, 'u-fail');
        assert.equal(body.response.allowed, false);
        assert.equal(body.response.status?.reason, 'ECR_ANYWHERE_INTERNAL');
        assert.match(await ownRegistry.metrics(), /ecr_anywhere_admissions_total\{outcome="refused"\} 1/);
        assert.match(captured.text(), /admission handler failed/);
        assert.ok(!captured.text().includes(CANARY), 'the error text stays out of the logs');
      } finally {
        await app.close();
      }
    });
  }
});

describe("the handler's signal", () => {
  const appWith = (handler: AdmissionHandler) =>
    buildWebhookApp({ handler, logger: captureLogs('trace').logger, clock: systemClock, metrics: registerWebhookMetrics(createMetricsRegistry({ processMetrics: false }), () => [], systemClock) });
  const body = JSON.stringify(secretReview(managedSecret(), { uid: 'u-signal' }));

  it('aborts when the caller goes away before the answer, and stays open once the answer is written', async () => {
    const signals: AbortSignal[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const app = appWith(async (request, ctx) => {
      signals.push(ctx.signal);
      if (request.uid === 'u-hold') await held;
      return { outcome: 'unchanged', allowed: true, operations: [], refusal: undefined, warnings: [], detail: 'test', secret: 'default/s', waitedOnEcr: false, heldTokenRegions: [] };
    });
    try {
      const address = await app.listen({ port: 0, host: '127.0.0.1' });
      const answered = await fetch(`${address}/sync`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(answered.status, 200);
      await answered.text();
      const caller = new AbortController();
      const abandoned = fetch(`${address}/sync`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body.replace('u-signal', 'u-hold'), signal: caller.signal });
      const deadline = Date.now() + 5_000;
      while (signals.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      caller.abort();
      await assert.rejects(abandoned);
      while (!signals[1]?.aborted && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(signals[1]?.aborted, true, 'the handler of the abandoned review is told');
      assert.equal(signals[0]?.aborted, false, 'an answered review is never aborted afterwards');
    } finally {
      release();
      await app.close();
    }
  });
});

describe('secret material', () => {
  it('never appears in logs or metrics at trace level, whatever the outcome', async () => {
    freshWebhook();
    const secretData = { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { 'ghcr.io': { auth: `${CANARY}-user-data` } } })).toString('base64') };
    const secret = managedSecret({ data: secretData });
    const patched = applyResponse(secret, (await post(secretReview(secret))).json());
    await post(secretReview(patched, { operation: 'UPDATE', oldObject: patched }));
    await post(`{"broken": "${CANARY}`);
    await post(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', object: `${CANARY}` } }));
    standIn.behaviour = 'refuse';
    await post(secretReview(managedSecret({ annotations: { [REGISTRIES_ANNOTATION]: '123456789012.dkr.ecr.eu-north-1.amazonaws.com' } })));
    assert.ok(logs.lines.length >= 4, 'the webhook logged its work');
    const everything = `${logs.text()}\n${await registry.metrics()}`;
    assert.ok(!everything.includes(CANARY), 'a canary leaked');
    assert.ok(!everything.includes(secretData['.dockerconfigjson']), 'dockerconfigjson leaked');
    assert.ok(!everything.includes(Buffer.from(`AWS:${standIn.issued[0]}`).toString('base64')), 'auth leaked');
  });
});

// An ECR outage with a held token, with a clock the test moves.
describe('POST /sync while ECR refuses and a held token still has life', () => {
  it('allows with the patch and a warning naming the failure, counts it, and refuses once the token is within the threshold', async () => {
    const logs = captureLogs('trace');
    const registry = createMetricsRegistry({ processMetrics: false });
    let offsetMs = 0;
    const parts = composeWebhook({ awsRegion: 'us-east-1', ecrTimeoutMs: 2_000, logger: logs.logger, registry, clock: () => new Date(Date.now() + offsetMs) });
    const post = async (uid: string): Promise<AdmissionReviewResponse> => {
      const reply = await parts.app.inject({ method: 'POST', url: '/sync', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(secretReview(managedSecret(), { uid })) });
      return reply.json<AdmissionReviewResponse>();
    };
    try {
      assert.equal((await post('warm')).response.allowed, true);
      standIn.behaviour = 'refuse';
      offsetMs = 2 * HOUR; // 10 h left: under the 11 h hand-out rule, above the 6 h threshold
      const held = await post('held');
      assert.equal(held.response.allowed, true);
      assert.ok(held.response.patch, 'the patch is there');
      assert.equal(held.response.warnings?.length, 1);
      assert.match(held.response.warnings?.[0] ?? '', /ECR_ANYWHERE_ECR_REFUSED.*already held for region us-east-1.*was refused/);
      offsetMs = 6 * HOUR + 60_000; // 5 h 59 m left: no usable token
      const refused = await post('refused');
      assert.equal(refused.response.allowed, false);
      assert.match(refused.response.status?.message ?? '', /ECR_ANYWHERE_ECR_REFUSED|was refused/);
      const metrics = await registry.metrics();
      assert.match(metrics, /ecr_anywhere_held_token_admissions_total\{region="us-east-1"\} 1/);
      assert.match(metrics, /ecr_anywhere_admissions_waited_on_ecr_total 3/);
      assert.ok(!(held.response.warnings ?? []).join().includes(CANARY), 'no token in the warning');
      assert.ok(!logs.text().includes(CANARY), 'no token in the logs');
    } finally {
      await parts.app.close();
    }
  });
});
