// An ECR outage with a held token, through app.inject(): the real composition (adapter → cache → handler → app),
// the AWS SDK talking to the ECR stand-in, and a clock the test moves.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMetricsRegistry } from '../../src/common/metrics.js';
import type { AdmissionReviewResponse } from '../../src/http/review-envelope.js';
import { composeWebhook } from '../../src/webhook/compose.js';
import { useStandInAwsEnv } from '../../harness/aws-env.js';
import { startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';
import { captureLogs } from '../../harness/log-capture.js';
import { managedSecret, secretReview } from '../../harness/reviews.js';

const CANARY = 'CANARY-77a1c9-held';
const HOUR = 3_600_000;
let standIn: EcrStandIn;
let restoreEnv: () => void;

before(async () => {
  standIn = await startEcrStandIn({ passwordFor: (region, n) => `${CANARY}-${region}-${n}` });
  restoreEnv = useStandInAwsEnv(standIn.url);
});
after(async () => {
  restoreEnv();
  await standIn.close();
});

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
      assert.match(held.response.warnings?.[0] ?? '', /ECR_ANYWHERE_ECR_REFUSED.*was refused.*already held for region us-east-1/);
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
