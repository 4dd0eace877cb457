// The ServiceAccount path's pure decision: the pull Secret appended (existing entries kept, in order), nothing when
// it is already listed, and a problem — never a patch — for a review this path cannot read.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import jsonPatch from 'fast-json-patch';
import {
  decideServiceAccountAdmission,
  NO_SECRET_NAME_WARNING,
  pullSecretPatch,
  type ServiceAccountObject,
} from '../../src/admission/service-account-injection.js';
import type { AdmissionRequest } from '../../src/admission/review.js';

const SECRET = 'ecr-pull';

function account(imagePullSecrets?: ServiceAccountObject['imagePullSecrets'], namespace = 'team-a'): ServiceAccountObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace }, ...(imagePullSecrets === undefined ? {} : { imagePullSecrets }) };
}

function review(object: unknown, overrides: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return {
    uid: 'uid-1',
    kind: { group: '', version: 'v1', kind: 'ServiceAccount' },
    resource: { group: '', version: 'v1', resource: 'serviceaccounts' },
    operation: 'CREATE',
    namespace: 'team-a',
    name: 'default',
    object: object as AdmissionRequest['object'],
    ...overrides,
  };
}

function applied(object: ServiceAccountObject, operations: readonly jsonPatch.Operation[]): ServiceAccountObject {
  return jsonPatch.applyPatch(structuredClone(object), structuredClone([...operations])).newDocument;
}

describe('decideServiceAccountAdmission', () => {
  const patchedCases: Array<[string, ServiceAccountObject['imagePullSecrets'], Array<{ name?: string }>]> = [
    ['no list', undefined, [{ name: SECRET }]],
    ['a null list', null, [{ name: SECRET }]],
    ['an empty list', [], [{ name: SECRET }]],
    ['other entries, kept in order', [{ name: 'dockerhub' }, { name: 'quay' }], [{ name: 'dockerhub' }, { name: 'quay' }, { name: SECRET }]],
    ['an entry without a name survives', [{}], [{}, { name: SECRET }]],
  ];
  for (const [label, existing, expected] of patchedCases) {
    it(`appends the Secret: ${label}`, () => {
      const object = account(existing);
      const decision = decideServiceAccountAdmission(review(object), SECRET);
      assert.ok(!('problem' in decision));
      assert.equal(decision.outcome, 'patched');
      assert.equal(decision.account, 'team-a/default');
      assert.deepEqual(applied(object, decision.operations).imagePullSecrets, expected);
    });
  }

  it('writes no patch when the account already lists the Secret', () => {
    const decision = decideServiceAccountAdmission(review(account([{ name: 'dockerhub' }, { name: SECRET }])), SECRET);
    assert.deepEqual(decision, { outcome: 'unchanged', operations: [], warnings: [], detail: `already lists ${SECRET}`, account: 'team-a/default' });
  });

  const skippedCases: Array<[string, AdmissionRequest, string | undefined, RegExp]> = [
    ['an UPDATE', review(account(), { operation: 'UPDATE' }), SECRET, /operation UPDATE: only CREATE/],
    ['kube-system', review(account(undefined, 'kube-system'), { namespace: 'kube-system' }), SECRET, /kube-system is never mutated/],
    ['kube-public', review(account(undefined, 'kube-public'), { namespace: 'kube-public' }), SECRET, /kube-public is never mutated/],
    ['no Secret name configured', review(account()), undefined, /no SERVICE_ACCOUNT_PULL_SECRET/],
  ];
  for (const [label, request, secretName, detail] of skippedCases) {
    it(`skips ${label} with no patch`, () => {
      const decision = decideServiceAccountAdmission(request, secretName);
      assert.ok(!('problem' in decision));
      assert.equal(decision.outcome, 'skipped');
      assert.deepEqual(decision.operations, []);
      assert.match(decision.detail, detail);
    });
  }

  it('warns the client, with the config code, when it has no Secret name', () => {
    const decision = decideServiceAccountAdmission(review(account()), undefined);
    assert.ok(!('problem' in decision));
    assert.deepEqual(decision.warnings, [NO_SECRET_NAME_WARNING]);
    assert.match(NO_SECRET_NAME_WARNING, /\[ECR_ANYWHERE_CONFIG\]$/);
  });

  const problemCases: Array<[string, AdmissionRequest, RegExp]> = [
    ['a Secret', review(account(), { kind: { group: '', version: 'v1', kind: 'Secret' } }), /ServiceAccounts only, got Secret/],
    ['another group', review(account(), { kind: { group: 'apps', version: 'v1', kind: 'Deployment' } }), /got apps\/Deployment/],
    ['no kind', review(account(), { kind: undefined }), /got <no kind>/],
    ['no object', review(null), /must carry the account as request.object/],
    ['an object that is a list', review([]), /must carry the account/],
    ['imagePullSecrets as a string', review({ ...account(), imagePullSecrets: 'ecr-pull' }), /imagePullSecrets must be a list/],
    ['an entry that is a string', review({ ...account(), imagePullSecrets: ['ecr-pull'] }), /imagePullSecrets\[0\] is not an object/],
    ['a name that is a number', review({ ...account(), imagePullSecrets: [{ name: 'ok' }, { name: 7 }] }), /imagePullSecrets\[1\]\.name must be a string/],
  ];
  for (const [label, request, problem] of problemCases) {
    it(`names the problem of ${label}, with no patch`, () => {
      const decision = decideServiceAccountAdmission(request, SECRET);
      assert.ok('problem' in decision, 'a problem, not a decision');
      assert.match(decision.problem, problem);
    });
  }
});

describe('pullSecretPatch: properties', () => {
  const names = fc.stringMatching(/^[a-z0-9]([-a-z0-9.]{0,20}[a-z0-9])?$/);
  const entries = fc.array(fc.oneof(fc.record({ name: names }).map((entry) => ({ ...entry })), fc.constant<{ name?: string }>({})), { maxLength: 8 });
  const lists = fc.oneof(fc.constant(undefined), fc.constant(null), entries);

  it('keeps every existing entry in order, names the Secret exactly once, and a second pass changes nothing', () => {
    fc.assert(
      fc.property(lists, names, (existing, secretName) => {
        const before = account(existing);
        const once = applied(before, pullSecretPatch(before, secretName));
        const after = once.imagePullSecrets ?? [];
        const kept = existing ?? [];
        const alreadyListed = kept.some((entry) => entry.name === secretName);
        assert.deepEqual(after.slice(0, kept.length), kept, 'existing entries kept, in order');
        assert.equal(after.length, alreadyListed ? kept.length : kept.length + 1);
        assert.ok(after.some((entry) => entry.name === secretName));
        assert.deepEqual(pullSecretPatch(once, secretName), [], 'idempotent: nothing left to add');
        assert.deepEqual({ ...once, imagePullSecrets: undefined }, { ...before, imagePullSecrets: undefined }, 'nothing else changes');
      }),
      { numRuns: 300 },
    );
  });

  it('does not mutate the account it was given', () => {
    const before = account([{ name: 'dockerhub' }]);
    const snapshot = structuredClone(before);
    pullSecretPatch(before, SECRET);
    assert.deepEqual(before, snapshot);
  });
});
