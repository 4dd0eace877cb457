import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Operation } from 'fast-json-patch';
import { EcrAnywhereError, ErrorCodes } from '../../src/common/errors.js';
import { allowedResponse, refusedResponse, validateAdmissionReview } from '../../src/http/review-envelope.js';

const patchOf = (base64: string | undefined): unknown => JSON.parse(Buffer.from(base64 ?? '', 'base64').toString('utf8'));

describe('allowedResponse', () => {
  it('echoes the uid and sends no patch when there are no operations', () => {
    assert.deepEqual(allowedResponse('u-1', []), { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u-1', allowed: true } });
  });

  it('carries the operations as base64 JSON Patch text, UTF-8 and escapes intact', () => {
    const operations: Operation[] = [
      { op: 'add', path: '/data', value: { '.dockerconfigjson': 'x'.repeat(5000) } },
      { op: 'add', path: '/metadata/annotations/a~1b', value: 'say "no" \\ ü 😀' },
    ];
    const answer = allowedResponse('quote" back\\slash ✓', operations);
    assert.equal(answer.response.uid, 'quote" back\\slash ✓');
    assert.equal(answer.response.patchType, 'JSONPatch');
    assert.deepEqual(patchOf(answer.response.patch), operations);
    assert.match(answer.response.patch ?? '', /^[A-Za-z0-9+/]+=*$/);
  });

  it('adds warnings only when there are some', () => {
    assert.deepEqual(allowedResponse('u', [], ['held token used']).response.warnings, ['held token used']);
    assert.equal('warnings' in allowedResponse('u', []).response, false);
  });
});

describe('refusedResponse', () => {
  it('is a Status with the code as reason and at the end of the message', () => {
    const answer = refusedResponse('u-4', new EcrAnywhereError(ErrorCodes.ECR_REFUSED, 'ECR said no'));
    assert.deepEqual(answer.response, {
      uid: 'u-4',
      allowed: false,
      status: { code: 403, reason: 'ECR_ANYWHERE_ECR_REFUSED', message: 'ecr-anywhere: ECR said no [ECR_ANYWHERE_ECR_REFUSED]' },
    });
  });
});

describe('validateAdmissionReview', () => {
  const valid = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', object: {} } };
  const problems: Record<string, unknown> = {
    'a JSON array': [valid],
    'null': null,
    'another kind': { ...valid, kind: 'Review' },
    'v1beta1': { ...valid, apiVersion: 'admission.k8s.io/v1beta1' },
    'no request': { ...valid, request: undefined },
    'an empty uid': { ...valid, request: { uid: '' } },
    'a uid that is a number': { ...valid, request: { uid: 7 } },
    'an object that is a string': { ...valid, request: { uid: 'u', object: 'FAKE' } },
  };
  for (const [what, body] of Object.entries(problems)) {
    it(`names the problem with ${what}`, () => assert.ok('problem' in validateAdmissionReview(body)));
  }
  it('passes a well-formed review through unchanged', () => {
    const checked = validateAdmissionReview(valid);
    assert.ok('review' in checked);
    assert.equal(checked.review, valid);
  });
});
