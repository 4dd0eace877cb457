import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { base64Head, continueBase64, toBase64Text } from '../../src/admission/base64.js';
import { serializeReviewResponse, type AdmissionReviewResponse } from '../../src/admission/review.js';

function review(response: AdmissionReviewResponse['response']): AdmissionReviewResponse {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}

describe('serializeReviewResponse', () => {
  const patch = toBase64Text(JSON.stringify([{ op: 'add', path: '/data', value: { '.dockerconfigjson': 'x'.repeat(5000) } }]));
  const cases: Record<string, AdmissionReviewResponse> = {
    'an allowed answer without a patch': review({ uid: 'u-1', allowed: true }),
    'a patch': review({ uid: 'u-2', allowed: true, patchType: 'JSONPatch', patch }),
    'an empty patch': review({ uid: 'u-3', allowed: true, patchType: 'JSONPatch', patch: toBase64Text('') }),
    'a refusal': review({ uid: 'u-4', allowed: false, status: { code: 403, reason: 'R', message: 'say "no" \\ \n twice ✓' } }),
    'a uid that needs escaping': review({ uid: 'quote" back\\slash \u0001 ✓', allowed: true, patchType: 'JSONPatch', patch }),
    'a refusal of uid needing escapes': review({ uid: 'u"7', allowed: false, status: { code: 400, reason: 'R', message: 'm' } }),
    'a patch without its type': review({ uid: 'u-8', allowed: true, patch }),
    'warnings beside a patch': review({ uid: 'u-5', allowed: true, patchType: 'JSONPatch', patch, warnings: ['w "1"'] }),
  };
  cases['an answer whose keys come in another order'] = {
    response: { patch, patchType: 'JSONPatch', allowed: true, uid: 'u-6' },
    kind: 'AdmissionReview',
    apiVersion: 'admission.k8s.io/v1',
  };
  for (const [what, value] of Object.entries(cases)) {
    it(`is JSON equal to the answer for ${what}`, () => assert.deepEqual(JSON.parse(serializeReviewResponse(value)), value));
  }

  it('toBase64Text is plain base64 of the UTF-8 text', () => {
    assert.equal(toBase64Text('AWS:ü'), Buffer.from('AWS:ü', 'utf8').toString('base64'));
    assert.match(toBase64Text('"\\\n'.repeat(100)), /^[A-Za-z0-9+/]+=*$/);
  });
});

describe('toBase64Text', () => {
  it('equals Buffer base64 for every size and alphabet, around its scratch buffer limit too', () => {
    const samples = ['', 'a', 'ab', 'abc', 'AWS:ü€😀', '"\\\n'.repeat(1000), 'x'.repeat(87_381), 'y'.repeat(87_382), 'é'.repeat(100_000)];
    for (const text of samples) assert.equal(toBase64Text(text), Buffer.from(text, 'utf8').toString('base64'), `length ${text.length}`);
  });

  it('keeps each result intact when called again (the scratch buffer is reused)', () => {
    const first = toBase64Text('first value, longer than the second');
    const second = toBase64Text('second');
    assert.equal(Buffer.from(first, 'base64').toString('utf8'), 'first value, longer than the second');
    assert.equal(Buffer.from(second, 'base64').toString('utf8'), 'second');
  });
});

describe('base64Head and continueBase64', () => {
  const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

  it('continue a head into the base64 of head + tail, whatever the lengths and alphabet', () => {
    const heads = ['', 'a', 'ab', 'abc', 'abcd', 'é', 'xé', '😀', '[{"op":"replace","value":"' + 'Q'.repeat(6_001)];
    const tails = ['', ']', ',{"op":"add"}]', 'ü€', 'z'.repeat(90_000)];
    for (const head of heads) {
      const start = base64Head(head);
      for (const tail of tails) assert.equal(continueBase64(start, tail), base64(head + tail), `head ${head.length}, tail ${tail.length}`);
    }
  });

  it('can be continued again and again (the head is not consumed)', () => {
    const start = base64Head('four');
    assert.equal(continueBase64(start, ' one'), base64('four one'));
    assert.equal(continueBase64(start, ' two'), base64('four two'));
  });
});
