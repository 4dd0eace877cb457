// Security-relevant answers of POST /sync through app.inject(), the real compose and the ECR stand-in: invented
// regions are refused before any ECR call; refusals carry no more of the SDK's error than its code; made-up
// reviews with wrongly typed fields get a clear 400.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { createMetricsRegistry } from '../../src/common/metrics.js';
import { REGISTRIES_ANNOTATION } from '../../src/common/names.js';
import { systemClock } from '../../src/common/time.js';
import type { AdmissionReviewResponse } from '../../src/http/review-envelope.js';
import { composeWebhook, type WebhookParts } from '../../src/webhook/compose.js';
import { useStandInAwsEnv } from '../../harness/aws-env.js';
import { startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';
import { captureLogs } from '../../harness/log-capture.js';
import { managedSecret, secretReview } from '../../harness/reviews.js';

let standIn: EcrStandIn;
let restoreEnv: () => void;
let parts: WebhookParts;
let registry: ReturnType<typeof createMetricsRegistry>;

async function post(body: unknown) {
  return parts.app.inject({ method: 'POST', url: '/sync', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
}

before(async () => {
  standIn = await startEcrStandIn();
  restoreEnv = useStandInAwsEnv(standIn.url);
});
after(async () => {
  restoreEnv();
  await standIn.close();
});
afterEach(async () => {
  await parts.app.close();
  standIn.behaviour = 'ok';
  standIn.calls.length = 0;
});

function freshWebhook(): void {
  registry = createMetricsRegistry({ processMetrics: false });
  parts = composeWebhook({ awsRegion: 'us-east-1', ecrTimeoutMs: 4000, logger: captureLogs('warn').logger, registry, clock: systemClock });
}

describe('POST /sync and regions', () => {
  for (const host of ['123456789012.dkr.ecr.xx-fake-9.amazonaws.com', '123456789012.dkr.ecr.us-fake-9.amazonaws.com']) {
    it(`refuses ${host} with ECR_ANYWHERE_INVALID_REGISTRY, without calling ECR or minting a metric label`, async () => {
      freshWebhook();
      const reply = await post(secretReview(managedSecret({ annotations: { [REGISTRIES_ANNOTATION]: `123456789012.dkr.ecr.us-east-1.amazonaws.com,${host}` } })));
      const body = reply.json<AdmissionReviewResponse>();
      assert.equal(body.response.allowed, false);
      assert.equal(body.response.status?.reason, 'ECR_ANYWHERE_INVALID_REGISTRY');
      assert.match(body.response.status?.message ?? '', /is not a region of any AWS partition/);
      assert.equal(standIn.calls.length, 0);
      assert.doesNotMatch(await registry.metrics(), /fake-9/);
    });
  }
});

describe('POST /sync refusals from ECR', () => {
  it("name the SDK's error code and a short reason, not the SDK's message", async () => {
    freshWebhook();
    standIn.behaviour = 'refuse';
    const body = (await post(secretReview(managedSecret()))).json<AdmissionReviewResponse>();
    assert.equal(body.response.status?.reason, 'ECR_ANYWHERE_ECR_REFUSED');
    assert.match(body.response.status?.message ?? '', /\(AccessDeniedException: the webhook's AWS credentials were not accepted or may not call it\)/);
    assert.doesNotMatch(body.response.status?.message ?? '', /User is not authorized/, "the stand-in's (SDK) message is not echoed");
  });
});

describe('POST /sync with wrongly typed fields', () => {
  // Regression (fuzz seed 20261202, case 1876): data as a string answered ECR_ANYWHERE_INTERNAL.
  it('answers 400 ECR_ANYWHERE_BAD_REVIEW naming the field', async () => {
    freshWebhook();
    const review = secretReview(managedSecret()) as unknown as { request: { object: Record<string, unknown> } };
    review.request.object.data = '{".dockerconfigjson":"e30="}';
    const reply = await post(review);
    assert.equal(reply.statusCode, 400);
    assert.deepEqual(reply.json(), { code: 'ECR_ANYWHERE_BAD_REVIEW', message: 'not an admission.k8s.io/v1 AdmissionReview: request.object.data must be an object of strings' });
    assert.equal(standIn.calls.length, 0);
  });
});
