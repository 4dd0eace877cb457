// POST /mutate-serviceaccounts through app.inject(), assembled exactly as the webhook runs it (composeWebhook): the
// pull Secret appended with the uid echoed, nothing for an account that already lists it, coded 400s for reviews the
// path cannot read, and /sync unchanged. No ECR call is involved: the answer is a name, not a credential.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import jsonPatch from 'fast-json-patch';
import type { ServiceAccountObject } from '../../src/admission/service-account-injection.js';
import { createMetricsRegistry } from '../../src/common/metrics.js';
import { SERVICE_ACCOUNT_WEBHOOK_PATH } from '../../src/common/names.js';
import { systemClock } from '../../src/common/time.js';
import type { AdmissionReview, AdmissionReviewResponse } from '../../src/http/review-envelope.js';
import { composeWebhook, type WebhookParts } from '../../src/webhook/compose.js';
import { captureLogs, type CapturedLogs } from '../../harness/log-capture.js';

const SECRET = 'ecr-pull';

let parts: WebhookParts | undefined;
let logs: CapturedLogs;
let registry: ReturnType<typeof createMetricsRegistry>;

function freshWebhook(serviceAccountPullSecret: string | null = SECRET): WebhookParts {
  logs = captureLogs('trace');
  registry = createMetricsRegistry({ processMetrics: false });
  parts = composeWebhook({
    awsRegion: 'us-east-1',
    ecrTimeoutMs: 2_000,
    logger: logs.logger,
    registry,
    clock: systemClock,
    ...(serviceAccountPullSecret === null ? {} : { serviceAccountPullSecret }),
  });
  return parts;
}

afterEach(async () => {
  await parts?.app.close();
  parts = undefined;
});

function serviceAccount(imagePullSecrets?: Array<{ name?: string }>): ServiceAccountObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'builder', namespace: 'team-a' }, ...(imagePullSecrets ? { imagePullSecrets } : {}) };
}

function serviceAccountReview(object: unknown, kind = 'ServiceAccount', uid: string = randomUUID()): AdmissionReview {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind },
      resource: { group: '', version: 'v1', resource: kind === 'ServiceAccount' ? 'serviceaccounts' : 'secrets' },
      operation: 'CREATE',
      namespace: 'team-a',
      name: 'builder',
      object: object as AdmissionReview['request']['object'],
    },
  };
}

async function post(app: WebhookParts, body: unknown, path = SERVICE_ACCOUNT_WEBHOOK_PATH) {
  return app.app.inject({ method: 'POST', url: `${path}?timeout=5s`, headers: { 'content-type': 'application/json' }, payload: typeof body === 'string' ? body : JSON.stringify(body) });
}

interface LogLine {
  level: string;
  msg: string;
  code?: string;
}

const logLines = (): LogLine[] => logs.lines.map((line) => JSON.parse(line) as LogLine);

function patchedAccount(account: ServiceAccountObject, response: AdmissionReviewResponse): ServiceAccountObject {
  const patch = response.response.patch;
  if (!patch) return account;
  assert.equal(response.response.patchType, 'JSONPatch');
  const operations = JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as jsonPatch.Operation[];
  return jsonPatch.applyPatch(structuredClone(account), operations).newDocument;
}

async function counted(outcome: string): Promise<number> {
  const match = new RegExp(`ecr_anywhere_service_account_admissions_total\\{outcome="${outcome}"\\} (\\d+)`).exec(await registry.metrics());
  return match ? Number(match[1]) : 0;
}

describe('POST /mutate-serviceaccounts', () => {
  it('appends the pull Secret after the entries the account lists, echoing the uid, and counts it', async () => {
    const app = freshWebhook();
    const account = serviceAccount([{ name: 'dockerhub' }]);
    const reply = await post(app, serviceAccountReview(account, 'ServiceAccount', 'uid-sa-1'));
    assert.equal(reply.statusCode, 200);
    const body = reply.json<AdmissionReviewResponse>();
    assert.deepEqual([body.apiVersion, body.kind, body.response.uid, body.response.allowed], ['admission.k8s.io/v1', 'AdmissionReview', 'uid-sa-1', true]);
    assert.deepEqual(patchedAccount(account, body).imagePullSecrets, [{ name: 'dockerhub' }, { name: SECRET }]);
    assert.equal(await counted('patched'), 1);
  });

  it('answers an account that already lists the Secret with no patch at all', async () => {
    const app = freshWebhook();
    const reply = await post(app, serviceAccountReview(serviceAccount([{ name: SECRET }, { name: 'dockerhub' }])));
    const body = reply.json<AdmissionReviewResponse>();
    assert.equal(body.response.allowed, true);
    assert.equal(body.response.patch, undefined);
    assert.equal(body.response.patchType, undefined);
    assert.equal(await counted('unchanged'), 1);
  });

  it('without SERVICE_ACCOUNT_PULL_SECRET admits unchanged, with a coded warning to the client and a warn line', async () => {
    const app = freshWebhook(null);
    const body = (await post(app, serviceAccountReview(serviceAccount()))).json<AdmissionReviewResponse>();
    assert.equal(body.response.allowed, true);
    assert.equal(body.response.patch, undefined);
    assert.match(body.response.warnings?.[0] ?? '', /SERVICE_ACCOUNT_PULL_SECRET.*\[ECR_ANYWHERE_CONFIG\]/);
    assert.equal(await counted('skipped'), 1);
    assert.ok(logLines().some((line) => line.level === 'warn' && line.msg === 'service account admission skipped'));
  });

  const badReviews: Array<[string, unknown, RegExp, string]> = [
    ['a Secret review (wrong kind on this path)', serviceAccountReview({ kind: 'Secret', metadata: { name: 's' } }, 'Secret'), /ServiceAccounts only, got Secret/, 'ECR_ANYWHERE_BAD_REVIEW'],
    ['imagePullSecrets that is not a list', serviceAccountReview({ ...serviceAccount(), imagePullSecrets: { name: SECRET } }), /imagePullSecrets must be a list/, 'ECR_ANYWHERE_BAD_REVIEW'],
    ['a CREATE without the account', serviceAccountReview(null), /must carry the account/, 'ECR_ANYWHERE_BAD_REVIEW'],
    ['an envelope of the wrong version', { ...serviceAccountReview(serviceAccount()), apiVersion: 'admission.k8s.io/v1beta1' }, /admissionReviewVersions/, 'ECR_ANYWHERE_BAD_REVIEW'],
    ['a body that is not JSON', '{"apiVersion": "admission', /./, 'ECR_ANYWHERE_INVALID_JSON'],
  ];
  for (const [label, body, message, code] of badReviews) {
    it(`answers ${label} with a coded 400 (never a patch, never a 500), counted invalid`, async () => {
      const app = freshWebhook();
      const reply = await post(app, body);
      assert.equal(reply.statusCode, 400);
      const error = reply.json<{ code: string; message: string }>();
      assert.equal(error.code, code);
      assert.match(error.message, message);
      assert.equal(await counted('invalid'), 1);
      assert.ok(logLines().some((line) => line.code === code && String(line.msg).includes(SERVICE_ACCOUNT_WEBHOOK_PATH)), 'a warn line names the path and the code');
    });
  }

  it('never echoes what a made-up review carries into the answer or the logs', async () => {
    const app = freshWebhook();
    const canary = 'CANARY-5a7e-never-echo-me';
    const reviews = [
      serviceAccountReview(serviceAccount(), canary),
      { ...serviceAccountReview(serviceAccount()), request: { ...serviceAccountReview(serviceAccount()).request, kind: { group: canary, version: 'v1', kind: 'Secret' } } },
      serviceAccountReview({ ...serviceAccount(), imagePullSecrets: [{ name: 1, [canary]: canary }] }),
      serviceAccountReview({ ...serviceAccount(), imagePullSecrets: canary }),
    ];
    const answers: string[] = [];
    for (const review of reviews) answers.push((await post(app, review)).body);
    assert.equal(await counted('invalid'), reviews.length);
    assert.ok(!`${answers.join('\n')}\n${logs.text()}`.includes(canary), 'the canary was echoed');
    assert.match(answers[0] ?? '', /got <another kind>/);
  });

  it('leaves /sync as it was: a ServiceAccount review there is skipped, and counted on /sync only', async () => {
    const app = freshWebhook();
    const body = (await post(app, serviceAccountReview(serviceAccount()), '/sync')).json<AdmissionReviewResponse>();
    assert.equal(body.response.allowed, true);
    assert.equal(body.response.patch, undefined);
    const metrics = await registry.metrics();
    assert.match(metrics, /ecr_anywhere_admissions_total\{outcome="skipped"\} 1/);
    assert.doesNotMatch(metrics, /ecr_anywhere_service_account_admissions_total\{/);
  });
});
