import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeDockerConfig, ecrAuthEntry, encodeDockerConfig } from '../../src/admission/docker-config.js';
import { memoizedDockerConfigUpdate, updateDockerConfig, wantedEntries } from '../../src/admission/docker-config-update.js';
import type { EcrToken } from '../../src/ecr/token.js';

const HOST_A = '111111111111.dkr.ecr.us-east-1.amazonaws.com';
const HOST_B = '222222222222.dkr.ecr.eu-west-1.amazonaws.com';

function token(password: string, expiresAt = '2026-11-21T22:00:00Z', region = 'us-east-1'): EcrToken {
  return { region, password, proxyHost: HOST_A, expiresAt: new Date(expiresAt), fetchedAt: new Date('2026-11-21T10:00:00Z') };
}
const b64 = (text: string): string => Buffer.from(text).toString('base64');

describe('wantedEntries', () => {
  it('gives one ECR entry per host, the same entry for hosts sharing a token', () => {
    const shared = token('a');
    const entries = wantedEntries(new Map([[HOST_A, shared], [HOST_B, token('b', '2026-11-21T21:00:00Z', 'eu-west-1')]]));
    assert.deepEqual([...entries], [[HOST_A, ecrAuthEntry('a')], [HOST_B, ecrAuthEntry('b')]]);
  });
});

describe('memoizedDockerConfigUpdate gives the same answers as updateDockerConfig', () => {
  const tokenA = token('pw-a');
  const wanted = new Map([[HOST_A, tokenA]]);
  const current = updateDockerConfig(undefined, wanted);
  const inputs: Record<string, string | undefined> = {
    'no value': undefined,
    'an empty value': '',
    'the FAKE placeholder': b64('FAKE'),
    'broken JSON': b64('{"auths":'),
    'the current tokens': current,
    'an older token': encodeDockerConfig({ auths: { [HOST_A]: ecrAuthEntry('old') } }),
    'other registries and keys': encodeDockerConfig({ auths: { 'ghcr.io': { auth: 'x' } }, credHelpers: { 'gcr.io': 'gcloud' } }),
  };
  for (const [what, input] of Object.entries(inputs)) {
    it(`for ${what}, first and remembered`, () => {
      const memoized = memoizedDockerConfigUpdate();
      const expected = updateDockerConfig(input, wanted);
      assert.equal(memoized(input, wanted), expected);
      assert.equal(memoized(input, wanted), expected, 'second call, from the memo');
    });
  }

  it('answers undefined for a value that already holds the tokens, from the memo too', () => {
    const memoized = memoizedDockerConfigUpdate();
    assert.equal(memoized(current, wanted), undefined);
    assert.equal(memoized(current, wanted), undefined);
  });

  it('never hands out an earlier token for the same input once the token changed', () => {
    const memoized = memoizedDockerConfigUpdate();
    const placeholder = b64('FAKE');
    memoized(placeholder, wanted);
    const renewed = new Map([[HOST_A, token('pw-a2', '2026-11-22T10:00:00Z')]]);
    const value = memoized(placeholder, renewed);
    assert.deepEqual(decodeDockerConfig(value).auths[HOST_A], ecrAuthEntry('pw-a2'));
  });

  it('stays correct past its bounds (tiny memo, oversized input)', () => {
    const memoized = memoizedDockerConfigUpdate({ maxChars: 200, maxInputChars: 50 });
    const big = encodeDockerConfig({ auths: { 'ghcr.io': { auth: 'y'.repeat(500) } } });
    for (let round = 0; round < 3; round++) {
      for (const input of [big, ...Object.values(inputs)]) assert.equal(memoized(input, wanted), updateDockerConfig(input, wanted));
    }
  });

});
