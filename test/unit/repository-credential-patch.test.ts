// The patch of an Argo CD repository Secret: username/password and our annotations, nothing else.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import jsonPatch from 'fast-json-patch';
import { repositoryCredentialPatch } from '../../src/admission/credential-patch.js';
import type { SecretObject } from '../../src/admission/review.js';
import { EXPIRES_AT_ANNOTATION, MANAGED_REGISTRIES_ANNOTATION, UPDATED_AT_ANNOTATION } from '../../src/common/names.js';
import type { EcrToken } from '../../src/ecr/token.js';
import { argoCdRepositorySecret } from '../../harness/reviews.js';

const NOW = new Date('2026-11-21T10:00:00Z');
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const token = (password: string): EcrToken => ({ region: 'eu-west-1', password, proxyHost: HOST, expiresAt: new Date('2026-11-21T22:00:00Z'), fetchedAt: NOW });
const decoded = (secret: SecretObject, key: string): string | undefined => {
  const value = secret.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
};
const apply = (secret: SecretObject, password: string, now = NOW): SecretObject =>
  jsonPatch.applyPatch(structuredClone(secret), repositoryCredentialPatch(secret, new Map([[HOST, token(password)]]), now), true, false).newDocument;

describe('repositoryCredentialPatch', () => {
  it('writes username AWS and the token as password, with our annotations, keeping every other key', () => {
    const secret = argoCdRepositorySecret(`oci://${HOST}/charts`, { annotations: { 'example.com/keep': 'x' }, extraData: { project: Buffer.from('default').toString('base64') } });
    const patched = apply(secret, 'token-1');
    assert.deepEqual([decoded(patched, 'username'), decoded(patched, 'password')], ['AWS', 'token-1']);
    for (const key of ['url', 'type', 'enableOCI', 'name', 'project']) assert.equal(patched.data?.[key], secret.data?.[key], key);
    assert.deepEqual(patched.metadata?.annotations, {
      'example.com/keep': 'x',
      [EXPIRES_AT_ANNOTATION]: '2026-11-21T22:00:00Z',
      [MANAGED_REGISTRIES_ANNOTATION]: HOST,
      [UPDATED_AT_ANNOTATION]: '2026-11-21T10:00:00Z',
    });
    assert.equal(patched.data?.['.dockerconfigjson'], undefined, 'no dockerconfigjson in an Argo CD Secret');
  });

  it('replaces a stale password and moves updated_at; the same token again yields no operations at all', () => {
    const first = apply(argoCdRepositorySecret(HOST), 'token-1');
    const later = new Date('2026-11-21T11:00:00Z');
    assert.deepEqual(repositoryCredentialPatch(first, new Map([[HOST, token('token-1')]]), later), []);
    const second = apply(first, 'token-2', later);
    assert.equal(decoded(second, 'password'), 'token-2');
    assert.equal(second.metadata?.annotations?.[UPDATED_AT_ANNOTATION], '2026-11-21T11:00:00Z');
  });

  it('overwrites a username or password the user put there', () => {
    const base64 = (text: string): string => Buffer.from(text).toString('base64');
    const patched = apply(argoCdRepositorySecret(HOST, { extraData: { username: base64('someone'), password: base64('old') } }), 'token-1');
    assert.deepEqual([decoded(patched, 'username'), decoded(patched, 'password')], ['AWS', 'token-1']);
  });

  it('gives a Secret without data a data map', () => {
    const secret = argoCdRepositorySecret(HOST);
    delete secret.data;
    const operations = repositoryCredentialPatch(secret, new Map([[HOST, token('t')]]), NOW);
    assert.deepEqual(operations[0], { op: 'add', path: '/data', value: { username: Buffer.from('AWS').toString('base64'), password: Buffer.from('t').toString('base64') } });
  });

  it('takes the token of exactly one registry', () => {
    assert.throws(() => repositoryCredentialPatch(argoCdRepositorySecret(HOST), new Map(), NOW), /exactly one registry/);
  });
});
