import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import jsonPatch, { type Operation } from 'fast-json-patch';
import { ecrAuthEntry } from '../../src/admission/docker-config.js';
import { EXPIRES_AT_ANNOTATION, MARKED_FOR_UPDATE_AT_ANNOTATION, UPDATED_AT_ANNOTATION, MANAGED_REGISTRIES_ANNOTATION } from '../../src/common/names.js';
import type { SecretObject } from '../../src/admission/review.js';
import { credentialPatch } from '../../src/admission/credential-patch.js';
import { memoizedDockerConfigUpdate } from '../../src/admission/docker-config-update.js';
import type { EcrToken } from '../../src/ecr/token.js';
import { decodeDockerConfigOf, managedSecret } from '../../harness/reviews.js';

const NOW = new Date('2026-11-21T10:00:00Z');
const HOST_A = '111111111111.dkr.ecr.us-east-1.amazonaws.com';
const HOST_B = '222222222222.dkr.ecr.eu-west-1.amazonaws.com';

function token(region: string, password: string, expiresAt: string): EcrToken {
  return { region, password, proxyHost: HOST_A, expiresAt: new Date(expiresAt), fetchedAt: NOW };
}
const tokenA = token('us-east-1', 'pw-a', '2026-11-21T22:00:00Z');
const tokenB = token('eu-west-1', 'pw-b', '2026-11-21T21:30:00Z');

/** Shared by every test, so the memo sees values again and again, as the webhook's does. */
const remembered = memoizedDockerConfigUpdate();

/** The patch's operations, checking on every call that the memoized update (first and remembered) gives the same. */
function operationsOf(secret: SecretObject, tokens: Map<string, EcrToken>, now: Date): Operation[] {
  const operations = credentialPatch(secret, tokens, now);
  for (const round of ['memoized', 'memoized again']) {
    assert.deepEqual(credentialPatch(secret, tokens, now, remembered), operations, `${round} equals plain`);
  }
  return operations;
}

function apply(secret: SecretObject, tokens: Map<string, EcrToken>, now = NOW): SecretObject {
  const operations = operationsOf(secret, tokens, now);
  // validate: true refuses a `replace` of a member that does not exist, as the API server does.
  return jsonPatch.applyPatch(structuredClone(secret), operations, true).newDocument;
}

describe('credentialPatch', () => {
  it('fills a FAKE Secret with one entry per registry and sets both annotations', () => {
    const result = apply(managedSecret(), new Map([[HOST_A, tokenA], [HOST_B, tokenB]]));
    assert.deepEqual(decodeDockerConfigOf(result).auths, { [HOST_A]: ecrAuthEntry('pw-a'), [HOST_B]: ecrAuthEntry('pw-b') });
    assert.equal(result.metadata?.annotations?.[EXPIRES_AT_ANNOTATION], '2026-11-21T21:30:00Z', 'earliest expiry');
    assert.equal(result.metadata?.annotations?.[UPDATED_AT_ANNOTATION], '2026-11-21T10:00:00Z');
  });

  it('gives a Secret without data a data map', () => {
    const result = apply(managedSecret({ data: null }), new Map([[HOST_A, tokenA]]));
    assert.deepEqual(decodeDockerConfigOf(result).auths[HOST_A], ecrAuthEntry('pw-a'));
  });

  it('keeps other data keys, other registries and other annotations', () => {
    const existing = { auths: { 'ghcr.io': { auth: 'Z2g6dG9rZW4=' } }, credHelpers: { 'gcr.io': 'gcloud' } };
    const secret = managedSecret({
      data: { '.dockerconfigjson': Buffer.from(JSON.stringify(existing)).toString('base64'), extra: 'a2VlcA==' },
      annotations: { [MARKED_FOR_UPDATE_AT_ANNOTATION]: '2026-11-21T09:59:00Z', team: 'payments' },
    });
    const result = apply(secret, new Map([[HOST_A, tokenA]]));
    const config = decodeDockerConfigOf(result);
    assert.deepEqual(config.auths['ghcr.io'], { auth: 'Z2g6dG9rZW4=' });
    assert.deepEqual(config.credHelpers, { 'gcr.io': 'gcloud' });
    assert.equal(result.data?.extra, 'a2VlcA==');
    assert.equal(result.metadata?.annotations?.team, 'payments');
    assert.equal(result.metadata?.annotations?.[MARKED_FOR_UPDATE_AT_ANNOTATION], '2026-11-21T09:59:00Z');
  });

  it('is idempotent: a Secret holding the current tokens gets no operations', () => {
    const tokens = new Map([[HOST_A, tokenA]]);
    const once = apply(managedSecret(), tokens);
    assert.deepEqual(operationsOf(once, tokens, new Date('2026-11-21T11:00:00Z')), []);
  });

  it('moves updated_at only when credentials change', () => {
    const once = apply(managedSecret(), new Map([[HOST_A, tokenA]]));
    const later = new Date('2026-11-21T12:00:00Z');
    const renewed = apply(once, new Map([[HOST_A, token('us-east-1', 'pw-a2', '2026-11-22T00:00:00Z')]]), later);
    assert.equal(renewed.metadata?.annotations?.[UPDATED_AT_ANNOTATION], '2026-11-21T12:00:00Z');
    assert.equal(renewed.metadata?.annotations?.[EXPIRES_AT_ANNOTATION], '2026-11-22T00:00:00Z');
  });

  it('repairs a deleted expires_at without touching credentials or updated_at', () => {
    const once = apply(managedSecret(), new Map([[HOST_A, tokenA]]));
    delete once.metadata!.annotations![EXPIRES_AT_ANNOTATION];
    const operations = operationsOf(once, new Map([[HOST_A, tokenA]]), new Date('2026-11-21T12:00:00Z'));
    assert.deepEqual(operations, [
      { op: 'add', path: '/metadata/annotations/ecr-anywhere.centml.ai~1expires_at', value: '2026-11-21T22:00:00Z' },
    ]);
  });

  it('escapes annotation names in JSON pointers and adds a missing annotations map', () => {
    const operations = operationsOf(managedSecret(), new Map([[HOST_A, tokenA]]), NOW);
    assert.ok(operations.some((op) => op.op === 'add' && op.path === '/metadata/annotations'));
    const withAnnotations = managedSecret({ annotations: { other: 'x' } });
    const paths = operationsOf(withAnnotations, new Map([[HOST_A, tokenA]]), NOW).map((op) => op.path);
    assert.ok(paths.includes('/metadata/annotations/ecr-anywhere.centml.ai~1expires_at'), paths.join(' '));
  });

  it('touches only the .dockerconfigjson value and its own annotations', () => {
    const secret = managedSecret({ annotations: { team: 'payments', [UPDATED_AT_ANNOTATION]: '2026-11-20T10:00:00Z' } });
    secret.data = { ...secret.data, extra: 'a2VlcA==' };
    const operations = operationsOf(secret, new Map([[HOST_A, tokenA]]), NOW);
    assert.deepEqual(
      operations.map((op) => `${op.op} ${op.path}`),
      [
        'replace /data/.dockerconfigjson',
        'add /metadata/annotations/ecr-anywhere.centml.ai~1expires_at',
        'add /metadata/annotations/ecr-anywhere.centml.ai~1managed-registries',
        'replace /metadata/annotations/ecr-anywhere.centml.ai~1updated_at',
      ],
    );
  });

  it('adds .dockerconfigjson beside other data keys when it is missing', () => {
    const operations = operationsOf(managedSecret({ data: { extra: 'a2VlcA==' } }), new Map([[HOST_A, tokenA]]), NOW);
    assert.equal(operations[0]?.op, 'add');
    assert.equal(operations[0]?.path, '/data/.dockerconfigjson');
  });

  it('gives a Secret without metadata the annotations it needs', () => {
    const secret: SecretObject = { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/dockerconfigjson' };
    const result = apply(secret, new Map([[HOST_A, tokenA]]));
    assert.equal(result.metadata?.annotations?.[EXPIRES_AT_ANNOTATION], '2026-11-21T22:00:00Z');
    assert.deepEqual(decodeDockerConfigOf(result).auths[HOST_A], ecrAuthEntry('pw-a'));
  });

  it('writes the same entry for every host a token authorizes', () => {
    const hostC = '333333333333.dkr.ecr.us-east-1.amazonaws.com';
    const result = apply(managedSecret(), new Map([[HOST_A, tokenA], [hostC, tokenA]]));
    assert.deepEqual(decodeDockerConfigOf(result).auths, { [HOST_A]: ecrAuthEntry('pw-a'), [hostC]: ecrAuthEntry('pw-a') });
  });

  it('writes only the value when its annotations are already right (a patch of one operation)', () => {
    const secret = managedSecret({
      annotations: { [EXPIRES_AT_ANNOTATION]: '2026-11-21T22:00:00Z', [UPDATED_AT_ANNOTATION]: '2026-11-21T10:00:00Z', [MANAGED_REGISTRIES_ANNOTATION]: HOST_A },
    });
    const operations = operationsOf(secret, new Map([[HOST_A, tokenA]]), NOW);
    assert.deepEqual(
      operations.map((op) => `${op.op} ${op.path}`),
      ['replace /data/.dockerconfigjson'],
    );
  });

  it('gives each kind of Secret its own operation for the same value', () => {
    const tokens = new Map([[HOST_A, tokenA]]);
    const kinds = [managedSecret(), managedSecret({ data: null }), managedSecret({ data: { extra: 'a2VlcA==' } }), managedSecret()];
    assert.deepEqual(
      kinds.map((secret) => `${operationsOf(secret, tokens, NOW)[0]?.op} ${operationsOf(secret, tokens, NOW)[0]?.path}`),
      ['replace /data/.dockerconfigjson', 'add /data', 'add /data/.dockerconfigjson', 'replace /data/.dockerconfigjson'],
    );
  });

  it('does not modify the Secret it is given', () => {
    const secret = managedSecret();
    const copy = structuredClone(secret);
    operationsOf(secret, new Map([[HOST_A, tokenA]]), NOW);
    assert.deepEqual(secret, copy);
  });
});
