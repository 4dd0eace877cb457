import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeDockerConfig, ecrAuthEntry, encodeDockerConfig, mergeAuthEntries } from '../../src/admission/docker-config.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

describe('ecrAuthEntry', () => {
  it('builds username AWS and auth = base64("AWS:" + password)', () => {
    assert.deepEqual(ecrAuthEntry('s3cr3t'), { username: 'AWS', password: 's3cr3t', auth: b64('AWS:s3cr3t') });
  });
});

describe('decodeDockerConfig', () => {
  const junk: Array<[string, string | undefined]> = [
    ['absent', undefined],
    ['empty', ''],
    ['the original placeholder FAKE (raw)', 'FAKE'],
    ['base64 of FAKE', b64('FAKE')],
    ['a JSON array', b64('[1,2]')],
    ['JSON null', b64('null')],
  ];
  for (const [label, value] of junk) {
    it(`replaces junk: ${label}`, () => assert.deepEqual(decodeDockerConfig(value), { auths: {} }));
  }

  it('keeps other top-level keys and a missing auths becomes empty', () => {
    assert.deepEqual(decodeDockerConfig(b64('{"credHelpers":{"x":"y"}}')), { credHelpers: { x: 'y' }, auths: {} });
  });

  it('round-trips with encodeDockerConfig', () => {
    const config = { auths: { 'ghcr.io': { auth: 'abc' } }, HttpHeaders: { 'User-Agent': 'x' } };
    assert.deepEqual(decodeDockerConfig(encodeDockerConfig(config)), config);
  });
});

describe('mergeAuthEntries', () => {
  const host = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

  it('adds our entry and keeps other registries', () => {
    const result = mergeAuthEntries({ auths: { 'ghcr.io': { auth: 'keep' } } }, new Map([[host, ecrAuthEntry('p1')]]));
    assert.equal(result.changed, true);
    assert.deepEqual(result.config.auths, { 'ghcr.io': { auth: 'keep' }, [host]: ecrAuthEntry('p1') });
  });

  it('replaces a stale entry of ours', () => {
    const result = mergeAuthEntries({ auths: { [host]: ecrAuthEntry('old') } }, new Map([[host, ecrAuthEntry('new')]]));
    assert.equal(result.changed, true);
    assert.deepEqual(result.config.auths[host], ecrAuthEntry('new'));
  });

  it('reports no change when the entry is already current', () => {
    const result = mergeAuthEntries({ auths: { [host]: ecrAuthEntry('p1') } }, new Map([[host, ecrAuthEntry('p1')]]));
    assert.equal(result.changed, false);
  });

  it('does not mutate its input', () => {
    const input = { auths: { 'ghcr.io': { auth: 'keep' } } };
    mergeAuthEntries(input, new Map([[host, ecrAuthEntry('p1')]]));
    assert.deepEqual(input, { auths: { 'ghcr.io': { auth: 'keep' } } });
  });
});
