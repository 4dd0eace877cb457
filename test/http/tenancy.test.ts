// Tenancy through POST /sync (app.inject): the real handler, token caches, STS AssumeRole and ECR adapters, with the
// AWS SDK reaching the STS and ECR stand-ins over HTTP. Namespace standings are given as the namespace watch would
// compute them from Namespace metadata (namespaceStanding, pure).
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import jsonPatch from 'fast-json-patch';
import { namespaceStanding, OPEN_TENANCY, type NamespaceStanding } from '../../src/admission/tenant-policy.js';
import type { SecretObject } from '../../src/admission/review.js';
import { createMetricsRegistry } from '../../src/common/metrics.js';
import { ALLOWED_REGISTRIES_ANNOTATION, NAMESPACE_LABEL, REGISTRIES_ANNOTATION, ROLE_ARN_ANNOTATION, ROLE_EXTERNAL_ID_ANNOTATION } from '../../src/common/names.js';
import { systemClock } from '../../src/common/time.js';
import type { AdmissionReviewResponse } from '../../src/http/review-envelope.js';
import { composeWebhook, type WebhookParts } from '../../src/webhook/compose.js';
import { useStandInAwsEnv } from '../../harness/aws-env.js';
import { startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';
import { captureLogs, type CapturedLogs } from '../../harness/log-capture.js';
import { decodeDockerConfigOf, managedSecret, secretReview } from '../../harness/reviews.js';
import { accessKeyIdForRole, accountOfAccessKeyId, startStsStandIn, type StsStandIn } from '../../harness/sts-stand-in.js';

const ROLE_A = 'arn:aws:iam::111111111111:role/team-a-ecr';
const ROLE_B = 'arn:aws:iam::222222222222:role/team-b-ecr';
const OWN_KEY = 'AKIASTANDIN000000001';

let ecr: EcrStandIn;
let sts: StsStandIn;
let restoreEnv: () => void;
let parts: WebhookParts;
let logs: CapturedLogs;

const namespaces = new Map<string, Record<string, string>>();

function standingOf(namespace: string): NamespaceStanding {
  const annotations = namespaces.get(namespace);
  if (annotations === undefined) return { state: 'unknown' };
  return namespaceStanding({ name: namespace, labels: { [NAMESPACE_LABEL]: 'enabled' }, annotations }, OPEN_TENANCY);
}

function freshWebhook(ecrTimeoutMs = 4000): void {
  logs = captureLogs('trace');
  parts = composeWebhook({
    awsRegion: 'us-east-1',
    ecrTimeoutMs,
    logger: logs.logger,
    registry: createMetricsRegistry({ processMetrics: false }),
    clock: systemClock,
    namespaceStanding: standingOf,
  });
}

async function admit(secret: SecretObject): Promise<{ body: AdmissionReviewResponse; patched: SecretObject }> {
  const reply = await parts.app.inject({ method: 'POST', url: '/sync', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(secretReview(secret)) });
  assert.equal(reply.statusCode, 200);
  const body = reply.json<AdmissionReviewResponse>();
  const patch = body.response.patch;
  const patched = patch ? jsonPatch.applyPatch(structuredClone(secret), JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as jsonPatch.Operation[]).newDocument : secret;
  return { body, patched };
}

/** The access key that fetched each password (the stand-in puts it into the password). */
function keyOfPassword(password: string | undefined): string | undefined {
  return /^pw-([A-Z0-9]+)-/.exec(password ?? '')?.[1];
}

before(async () => {
  sts = await startStsStandIn();
  ecr = await startEcrStandIn({ passwordFor: (region, n, key) => `pw-${key}-${region}-${n}`, accountOf: accountOfAccessKeyId });
  restoreEnv = useStandInAwsEnv(ecr.url, 'us-east-1', sts.url);
});
after(async () => {
  restoreEnv();
  await Promise.all([ecr.close(), sts.close()]);
});
afterEach(async () => {
  await parts?.app.close();
  ecr.behaviour = 'ok';
  ecr.calls.length = 0;
  sts.calls.length = 0;
  sts.behaviour.clear();
  sts.requiredExternalId.clear();
  namespaces.clear();
});

describe('POST /sync with namespace roles', () => {
  it("fills namespace A's Secret with a token fetched as role A and B's as role B, each session named after its namespace", async () => {
    freshWebhook();
    namespaces.set('team-a', { [ROLE_ARN_ANNOTATION]: ROLE_A });
    namespaces.set('team-b', { [ROLE_ARN_ANNOTATION]: ROLE_B });
    namespaces.set('shared', {});
    const a = await admit(managedSecret({ namespace: 'team-a' }));
    const b = await admit(managedSecret({ namespace: 'team-b' }));
    const own = await admit(managedSecret({ namespace: 'shared' }));
    const authA = decodeDockerConfigOf(a.patched).auths;
    const authB = decodeDockerConfigOf(b.patched).auths;
    const authOwn = decodeDockerConfigOf(own.patched).auths;
    // The default registry is the role's account's (ECR answers with the caller's proxyEndpoint).
    assert.deepEqual(Object.keys(authA), ['111111111111.dkr.ecr.us-east-1.amazonaws.com']);
    assert.deepEqual(Object.keys(authB), ['222222222222.dkr.ecr.us-east-1.amazonaws.com']);
    assert.equal(keyOfPassword(Object.values(authA)[0]?.password), accessKeyIdForRole(ROLE_A));
    assert.equal(keyOfPassword(Object.values(authB)[0]?.password), accessKeyIdForRole(ROLE_B));
    assert.equal(keyOfPassword(Object.values(authOwn)[0]?.password), OWN_KEY);
    assert.deepEqual(
      sts.calls.map((call) => [call.roleArn, call.sessionName, call.callerAccessKeyId]),
      [
        [ROLE_A, 'ecr-anywhere-team-a', OWN_KEY],
        [ROLE_B, 'ecr-anywhere-team-b', OWN_KEY],
      ],
    );
    assert.deepEqual(ecr.calls.map((call) => call.accessKeyId), [accessKeyIdForRole(ROLE_A), accessKeyIdForRole(ROLE_B), OWN_KEY]);
  });

  it("holds a role's credentials: a second region and a second Secret assume it once", async () => {
    freshWebhook();
    namespaces.set('team-a', { [ROLE_ARN_ANNOTATION]: ROLE_A });
    await admit(managedSecret({ namespace: 'team-a', name: 'one' }));
    await admit(managedSecret({ namespace: 'team-a', name: 'two', annotations: { [REGISTRIES_ANNOTATION]: '111111111111.dkr.ecr.eu-west-1.amazonaws.com' } }));
    await admit(managedSecret({ namespace: 'team-a', name: 'three' }));
    assert.equal(sts.calls.length, 1);
    assert.deepEqual(ecr.calls.map((call) => [call.region, call.accessKeyId]), [
      ['us-east-1', accessKeyIdForRole(ROLE_A)],
      ['eu-west-1', accessKeyIdForRole(ROLE_A)],
    ]);
  });

  it('passes the external id, and a role that refuses it is ECR_ANYWHERE_ROLE_REFUSED naming the role', async () => {
    freshWebhook();
    sts.requiredExternalId.set(ROLE_A, 'right-id');
    namespaces.set('team-a', { [ROLE_ARN_ANNOTATION]: ROLE_A, [ROLE_EXTERNAL_ID_ANNOTATION]: 'wrong-id' });
    const { body } = await admit(managedSecret({ namespace: 'team-a' }));
    assert.equal(body.response.allowed, false);
    assert.equal(body.response.status?.reason, 'ECR_ANYWHERE_ROLE_REFUSED');
    assert.match(body.response.status?.message ?? '', /could not assume role arn:aws:iam::111111111111:role\/team-a-ecr \(session ecr-anywhere-team-a\): AccessDenied/);
    assert.equal(sts.calls[0]?.externalId, 'wrong-id');
    assert.equal(ecr.calls.length, 0, 'no ECR call without the role');

    namespaces.set('team-a', { [ROLE_ARN_ANNOTATION]: ROLE_A, [ROLE_EXTERNAL_ID_ANNOTATION]: 'right-id' });
    assert.equal((await admit(managedSecret({ namespace: 'team-a' }))).body.response.patchType, 'JSONPatch');
  });

  it('answers ECR_ANYWHERE_ROLE_REFUSED inside the ECR budget when STS never answers', async () => {
    freshWebhook(1000);
    sts.behaviour.set(ROLE_A, 'hang');
    namespaces.set('team-a', { [ROLE_ARN_ANNOTATION]: ROLE_A });
    const { body } = await admit(managedSecret({ namespace: 'team-a' }));
    assert.equal(body.response.status?.reason, 'ECR_ANYWHERE_ROLE_REFUSED');
    assert.match(body.response.status?.message ?? '', /STS did not answer within 750 ms/);
  });

  it('refuses a registry outside the namespace patterns, and allows the ones inside', async () => {
    freshWebhook();
    namespaces.set('team-a', { [ALLOWED_REGISTRIES_ANNOTATION]: '111111111111.dkr.ecr.*.amazonaws.com', [ROLE_ARN_ANNOTATION]: ROLE_A });
    const outside = await admit(managedSecret({ namespace: 'team-a', annotations: { [REGISTRIES_ANNOTATION]: '222222222222.dkr.ecr.us-east-1.amazonaws.com' } }));
    assert.equal(outside.body.response.status?.reason, 'ECR_ANYWHERE_REGISTRY_NOT_ALLOWED');
    assert.match(outside.body.response.status?.message ?? '', /registry 222222222222\.dkr\.ecr\.us-east-1\.amazonaws\.com is not allowed in namespace team-a: its allowed registries are "111111111111\.dkr\.ecr\.\*\.amazonaws\.com"/);
    assert.equal(sts.calls.length + ecr.calls.length, 0, 'refused before any AWS call');
    const inside = await admit(managedSecret({ namespace: 'team-a', annotations: { [REGISTRIES_ANNOTATION]: '111111111111.dkr.ecr.eu-west-1.amazonaws.com' } }));
    assert.equal(inside.body.response.patchType, 'JSONPatch');
    const defaulted = await admit(managedSecret({ namespace: 'team-a' }));
    assert.equal(defaulted.body.response.patchType, 'JSONPatch', "the role's own default registry is inside");
  });

  it('gives no credentials for a namespace the watch does not know (a forged review)', async () => {
    freshWebhook();
    const { body } = await admit(managedSecret({ namespace: 'made-up' }));
    assert.equal(body.response.status?.reason, 'ECR_ANYWHERE_NAMESPACE_UNKNOWN');
    assert.equal(body.response.patch, undefined);
    assert.equal(ecr.calls.length, 0);
  });

  it('never logs role credentials', async () => {
    freshWebhook();
    namespaces.set('team-a', { [ROLE_ARN_ANNOTATION]: ROLE_A });
    await admit(managedSecret({ namespace: 'team-a' }));
    assert.ok(sts.issuedSecrets.length >= 2);
    for (const secret of [...sts.issuedSecrets, ...ecr.issued]) assert.ok(!logs.text().includes(secret), 'a credential reached the log');
  });
});
