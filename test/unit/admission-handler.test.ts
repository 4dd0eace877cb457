// The handler's decisions, driven with plain token functions: the plan, token lookup and patch are real.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAdmissionHandler } from '../../src/admission/handler.js';
import { EcrAnywhereError, ErrorCodes } from '../../src/common/errors.js';
import jsonPatch, { type Operation } from 'fast-json-patch';
import { EXPIRES_AT_ANNOTATION, REGISTRIES_ANNOTATION } from '../../src/common/names.js';
import type { EcrToken } from '../../src/ecr/token.js';
import { parseRegistryPatterns, type NamespaceStanding } from '../../src/admission/tenant-policy.js';
import type { TokenLease } from '../../src/ecr/token-cache.js';
import { argoCdRepositorySecret, managedSecret, secretReview } from '../../harness/reviews.js';

const NOW = new Date('2026-11-21T10:00:00Z');
const token = (region: string): EcrToken => ({ region, password: `pw-${region}`, proxyHost: `123456789012.dkr.ecr.${region}.amazonaws.com`, expiresAt: new Date('2026-11-21T22:00:00Z'), fetchedAt: new Date('2026-11-21T10:00:00Z') });
const lease = (region: string): TokenLease => ({ token: token(region), waited: false });
const open = (): AbortSignal => new AbortController().signal;

describe('createAdmissionHandler', () => {
  it('patches a managed Secret with the default registry of the default region', async () => {
    const handle = createAdmissionHandler({ tokenFor: async (region) => lease(region), defaultRegion: 'us-east-1' });
    const decision = await handle(secretReview(managedSecret()).request, { now: NOW, signal: open() });
    assert.equal(decision.outcome, 'patched');
    assert.equal(decision.allowed, true);
    assert.equal(decision.secret, 'team-a/ecr-secret');
    assert.match(decision.detail, /123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com/);
    assert.ok(decision.operations.length >= 2);
  });

  it('asks for one token per region named, not per registry', async () => {
    const asked: string[] = [];
    const handle = createAdmissionHandler({ tokenFor: async (region) => (asked.push(region), lease(region)), defaultRegion: 'us-east-1' });
    const registries = '111111111111.dkr.ecr.eu-west-1.amazonaws.com,222222222222.dkr.ecr.eu-west-1.amazonaws.com,111111111111.dkr.ecr.ap-south-1.amazonaws.com';
    const decision = await handle(secretReview(managedSecret({ annotations: { [REGISTRIES_ANNOTATION]: registries } })).request, { now: NOW, signal: open() });
    assert.equal(decision.outcome, 'patched');
    assert.deepEqual(asked.sort(), ['ap-south-1', 'eu-west-1']);
  });

  it('skips what it must not touch without asking for a token', async () => {
    const handle = createAdmissionHandler({ tokenFor: () => assert.fail('no token needed'), defaultRegion: 'us-east-1' });
    const decision = await handle(secretReview(managedSecret({ labels: {} })).request, { now: NOW, signal: open() });
    assert.deepEqual([decision.outcome, decision.allowed, decision.operations.length], ['skipped', true, 0]);
  });

  it('turns an ECR failure into a coded refusal', async () => {
    const handle = createAdmissionHandler({
      tokenFor: () => Promise.reject(new EcrAnywhereError(ErrorCodes.ECR_REFUSED, 'ECR GetAuthorizationToken in region us-east-1 was refused')),
      defaultRegion: 'us-east-1',
    });
    const decision = await handle(secretReview(managedSecret()).request, { now: NOW, signal: open() });
    assert.equal(decision.outcome, 'refused');
    assert.equal(decision.refusal?.code, 'ECR_ANYWHERE_ECR_REFUSED');
  });

  it('stops waiting for ECR when the caller goes away', async () => {
    const caller = new AbortController();
    const handle = createAdmissionHandler({ tokenFor: () => new Promise<TokenLease>(() => undefined), defaultRegion: 'us-east-1' });
    const pending = handle(secretReview(managedSecret()).request, { now: NOW, signal: caller.signal });
    caller.abort();
    const decision = await pending;
    assert.equal(decision.refusal?.code, 'ECR_ANYWHERE_ECR_TIMEOUT');
  });
});

describe('createAdmissionHandler with a namespace standing', () => {
  const ROLE = { arn: 'arn:aws:iam::111111111111:role/team-a', externalId: undefined, sessionName: 'ecr-anywhere-team-a' };
  const policy = (allowed: string, role: typeof ROLE | undefined = undefined): NamespaceStanding => {
    const parsed = parseRegistryPatterns(allowed);
    assert.ok(parsed.ok);
    return { state: 'enabled', policy: { namespace: 'team-a', allowed: parsed, allowedFrom: 'namespace', role } };
  };
  const handlerWith = (standing: NamespaceStanding, asked: Array<[string, string | undefined]> = []) =>
    createAdmissionHandler({
      tokenFor: async (region, role) => (asked.push([region, role?.arn]), lease(region)),
      namespaceStanding: (namespace) => (namespace === 'team-a' ? standing : { state: 'unknown' }),
      defaultRegion: 'us-east-1',
    });
  const review = (annotations?: Record<string, string>, namespace = 'team-a') => secretReview(managedSecret({ namespace, ...(annotations ? { annotations } : {}) })).request;

  it('fetches with the namespace role', async () => {
    const asked: Array<[string, string | undefined]> = [];
    const decision = await handlerWith(policy('*', ROLE), asked)(review(), { now: NOW, signal: open() });
    assert.equal(decision.outcome, 'patched');
    assert.deepEqual(asked, [['us-east-1', ROLE.arn]]);
  });

  it('refuses a named registry outside the patterns before asking for any token', async () => {
    const asked: Array<[string, string | undefined]> = [];
    const decision = await handlerWith(policy('111111111111.dkr.ecr.*.amazonaws.com'), asked)(
      review({ [REGISTRIES_ANNOTATION]: '111111111111.dkr.ecr.eu-west-1.amazonaws.com,222222222222.dkr.ecr.eu-west-1.amazonaws.com' }),
      { now: NOW, signal: open() },
    );
    assert.equal(decision.refusal?.code, 'ECR_ANYWHERE_REGISTRY_NOT_ALLOWED');
    assert.match(decision.refusal?.message ?? '', /222222222222\.dkr\.ecr\.eu-west-1\.amazonaws\.com is not allowed in namespace team-a/);
    assert.deepEqual(asked, []);
  });

  it('refuses a default registry (known from ECR answer) outside the patterns', async () => {
    const decision = await handlerWith(policy('111111111111.dkr.ecr.*.amazonaws.com'))(review(), { now: NOW, signal: open() });
    assert.equal(decision.refusal?.code, 'ECR_ANYWHERE_REGISTRY_NOT_ALLOWED');
    assert.match(decision.refusal?.message ?? '', /registry 123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com/);
    assert.equal(decision.operations.length, 0);
  });

  it('allows a review for a namespace that is not enabled with no patch and no token', async () => {
    const decision = await handlerWith({ state: 'not-enabled', reason: 'namespace team-a is not labeled' })(review(), { now: NOW, signal: open() });
    assert.deepEqual([decision.outcome, decision.allowed, decision.operations.length], ['skipped', true, 0]);
  });

  it('refuses a namespace the watch does not know, and a refused standing with its own code', async () => {
    const unknown = await handlerWith(policy('*'))(review(undefined, 'made-up'), { now: NOW, signal: open() });
    assert.equal(unknown.refusal?.code, 'ECR_ANYWHERE_NAMESPACE_UNKNOWN');
    const noRole = await handlerWith({ state: 'refused', error: new EcrAnywhereError(ErrorCodes.NO_ROLE, 'no role') })(review(), { now: NOW, signal: open() });
    assert.equal(noRole.refusal?.code, 'ECR_ANYWHERE_NO_ROLE');
  });

  it('leaves Secrets it would skip anyway alone whatever the namespace says', async () => {
    const decision = await handlerWith({ state: 'refused', error: new EcrAnywhereError(ErrorCodes.NO_ROLE, 'no role') })(
      secretReview(managedSecret({ labels: {} })).request,
      { now: NOW, signal: open() },
    );
    assert.equal(decision.outcome, 'skipped');
  });
});

describe('createAdmissionHandler with a held token during an ECR failure', () => {
  it('allows the write with the patch, the held token expiry and a warning naming the ECR failure', async () => {
    const failure = new EcrAnywhereError(ErrorCodes.ECR_THROTTLED, 'ECR GetAuthorizationToken in region us-east-1 was throttled (ThrottlingException: Rate exceeded)');
    const handle = createAdmissionHandler({ tokenFor: async (region) => ({ token: token(region), fetchFailure: failure, waited: true }), defaultRegion: 'us-east-1' });
    const decision = await handle(secretReview(managedSecret()).request, { now: NOW, signal: open() });
    assert.deepEqual([decision.outcome, decision.allowed, decision.waitedOnEcr], ['patched', true, true]);
    assert.deepEqual(decision.heldTokenRegions, ['us-east-1']);
    assert.equal(decision.warnings.length, 1);
    assert.match(decision.warnings[0]!, /^ecr-anywhere: ECR failed \(ECR_ANYWHERE_ECR_THROTTLED\).*region us-east-1.*expires at 2026-11-21T22:00:00Z: .*throttled/);
    assert.ok(decision.warnings[0]!.length <= 256, 'the API server keeps warnings of up to 256 characters whole');
    assert.ok(!decision.warnings[0]!.includes('pw-us-east-1'), 'no token in the warning');
    const patched = jsonPatch.applyPatch(managedSecret(), jsonPatch.deepClone(decision.operations) as Operation[]).newDocument;
    assert.equal(patched.metadata?.annotations?.[EXPIRES_AT_ANNOTATION], '2026-11-21T22:00:00Z');
  });
});

describe('createAdmissionHandler: Argo CD repository Secrets and ECR Public', () => {
  const publicToken: EcrToken = { region: 'public.ecr.aws', password: 'pw-public', proxyHost: 'public.ecr.aws', expiresAt: new Date('2026-11-21T21:00:00Z'), fetchedAt: NOW };
  const leaseOf = async (scope: string): Promise<TokenLease> => (scope === 'public.ecr.aws' ? { token: publicToken, waited: false } : lease(scope));
  const apply = (secret: ReturnType<typeof managedSecret>, operations: readonly Operation[]): ReturnType<typeof managedSecret> =>
    jsonPatch.applyPatch(structuredClone(secret), [...operations], true, false).newDocument;

  it("fills an Argo CD Secret with the token of its url's region", async () => {
    const asked: string[] = [];
    const handle = createAdmissionHandler({ tokenFor: async (scope) => (asked.push(scope), leaseOf(scope)), defaultRegion: 'us-east-1' });
    const secret = argoCdRepositorySecret('oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/charts');
    const decision = await handle(secretReview(secret).request, { now: NOW, signal: open() });
    assert.equal(decision.outcome, 'patched');
    assert.deepEqual(asked, ['eu-west-1']);
    const patched = apply(secret, decision.operations);
    assert.equal(Buffer.from(patched.data?.password ?? '', 'base64').toString(), 'pw-eu-west-1');
  });

  it('applies the namespace policy to the url registry', async () => {
    const allowed = parseRegistryPatterns('111111111111.dkr.ecr.*.amazonaws.com');
    assert.ok(allowed.ok);
    const standing: NamespaceStanding = { state: 'enabled', policy: { namespace: 'team-a', allowed, allowedFrom: 'namespace', role: undefined } };
    const handle = createAdmissionHandler({ tokenFor: () => assert.fail('no token for a refused registry'), namespaceStanding: () => standing, defaultRegion: 'us-east-1' });
    const decision = await handle(secretReview(argoCdRepositorySecret('oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com')).request, { now: NOW, signal: open() });
    assert.deepEqual([decision.outcome, decision.refusal?.code], ['refused', 'ECR_ANYWHERE_REGISTRY_NOT_ALLOWED']);
  });

  it("writes ECR Public's token under public.ecr.aws and a region's under its host; expires_at is the earliest", async () => {
    const asked: string[] = [];
    const handle = createAdmissionHandler({ tokenFor: async (scope) => (asked.push(scope), leaseOf(scope)), defaultRegion: 'us-east-1' });
    const secret = managedSecret({ annotations: { [REGISTRIES_ANNOTATION]: 'public.ecr.aws,111111111111.dkr.ecr.us-east-1.amazonaws.com' } });
    const decision = await handle(secretReview(secret).request, { now: NOW, signal: open() });
    assert.deepEqual(asked.sort(), ['public.ecr.aws', 'us-east-1']);
    const patched = apply(secret, decision.operations);
    const auths = (JSON.parse(Buffer.from(patched.data?.['.dockerconfigjson'] ?? '', 'base64').toString()) as { auths: Record<string, { password: string }> }).auths;
    assert.deepEqual([auths['public.ecr.aws']?.password, auths['111111111111.dkr.ecr.us-east-1.amazonaws.com']?.password], ['pw-public', 'pw-us-east-1']);
    assert.equal(patched.metadata?.annotations?.[EXPIRES_AT_ANNOTATION], '2026-11-21T21:00:00Z');
  });
});
