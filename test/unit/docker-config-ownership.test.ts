import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import jsonPatch from 'fast-json-patch';
import { ecrAuthEntry, formatManagedRegistries, mergeAuthEntries, parseManagedRegistries, registryOfAuthKey } from '../../src/admission/docker-config.js';
import { credentialPatch } from '../../src/admission/credential-patch.js';
import { planAdmission } from '../../src/admission/plan.js';
import type { SecretObject } from '../../src/admission/review.js';
import { DOCKER_CONFIG_JSON_KEY, MANAGED_REGISTRIES_ANNOTATION } from '../../src/common/names.js';
import type { EcrToken } from '../../src/ecr/token.js';
import { decodeDockerConfigOf, managedSecret, secretReview } from '../../harness/reviews.js';

const HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const OTHER = '210987654321.dkr.ecr.eu-west-1.amazonaws.com';
const NOW = new Date('2026-11-21T10:00:00Z');
const token = (region: string): EcrToken => ({ region, password: `pw-${region}`, proxyHost: HOST, expiresAt: new Date('2026-11-21T22:00:00Z'), fetchedAt: NOW });
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64');

function patched(secret: SecretObject, tokensByHost: ReadonlyMap<string, EcrToken>): SecretObject {
  return jsonPatch.applyPatch(jsonPatch.deepClone(secret) as SecretObject, credentialPatch(secret, tokensByHost, NOW)).newDocument;
}

describe('registryOfAuthKey', () => {
  it('treats https://host, host/ and host as one registry', () => {
    for (const key of [`https://${HOST}`, `${HOST}/`, HOST, `HTTPS://${HOST.toUpperCase()}/`, `http://${HOST}`]) assert.equal(registryOfAuthKey(key), HOST, key);
  });
});

describe('mergeAuthEntries with what users already have', () => {
  it('replaces the original product\'s https:// entry in place, keeping its key, and adds no bare-host twin', () => {
    const result = mergeAuthEntries({ auths: { [`https://${HOST}`]: ecrAuthEntry('stale') } }, new Map([[HOST, ecrAuthEntry('fresh')]]));
    assert.deepEqual(Object.keys(result.config.auths), [`https://${HOST}`]);
    assert.equal((result.config.auths[`https://${HOST}`] as { password: string }).password, 'fresh');
  });

  it('keeps a host/ key too', () => {
    const result = mergeAuthEntries({ auths: { [`${HOST}/`]: ecrAuthEntry('stale') } }, new Map([[HOST, ecrAuthEntry('fresh')]]));
    assert.deepEqual(Object.keys(result.config.auths), [`${HOST}/`]);
  });

  it('removes entries we wrote that are no longer wanted, and never entries we did not write', () => {
    const config = { auths: { [OTHER]: ecrAuthEntry('old'), [HOST]: ecrAuthEntry('old'), 'ghcr.io': { auth: 'theirs' }, [`https://${'999999999999.dkr.ecr.us-east-1.amazonaws.com'}`]: { auth: 'theirs-too' } } };
    const result = mergeAuthEntries(config, new Map([[HOST, ecrAuthEntry('fresh')]]), [HOST, OTHER]);
    assert.deepEqual(Object.keys(result.config.auths).sort(), [HOST, 'ghcr.io', 'https://999999999999.dkr.ecr.us-east-1.amazonaws.com'].sort());
    assert.equal(result.changed, true);
  });

  it('parses and formats the managed-registries annotation', () => {
    assert.deepEqual(parseManagedRegistries(` ${OTHER}, https://${HOST}/ ,`), [OTHER, HOST]);
    assert.deepEqual(parseManagedRegistries(undefined), []);
    assert.equal(formatManagedRegistries([OTHER, HOST, HOST]), `${HOST},${OTHER}`);
  });
});

describe('credentialPatch records what it wrote', () => {
  it('writes the managed-registries annotation and, once a registry is dropped, removes its entry', () => {
    const first = patched(managedSecret(), new Map([[HOST, token('us-east-1')], [OTHER, token('eu-west-1')]]));
    assert.equal(first.metadata?.annotations?.[MANAGED_REGISTRIES_ANNOTATION], `${HOST},${OTHER}`);
    const theirs = decodeDockerConfigOf(first);
    theirs.auths['ghcr.io'] = { username: 'u', password: 'theirs', auth: 'dTp0aGVpcnM=' };
    first.data = { [DOCKER_CONFIG_JSON_KEY]: b64(theirs) };
    const second = patched(first, new Map([[HOST, token('us-east-1')]]));
    assert.deepEqual(Object.keys(decodeDockerConfigOf(second).auths).sort(), [HOST, 'ghcr.io']);
    assert.equal(second.metadata?.annotations?.[MANAGED_REGISTRIES_ANNOTATION], HOST);
    assert.deepEqual(credentialPatch(second, new Map([[HOST, token('us-east-1')]]), NOW), [], 'current Secret: no patch');
  });
});

describe('planAdmission and immutable Secrets', () => {
  it('refuses a managed immutable Secret with ECR_ANYWHERE_IMMUTABLE_SECRET and says why', () => {
    const plan = planAdmission(secretReview({ ...managedSecret(), immutable: true }).request, 'us-east-1');
    assert.equal(plan.action, 'refuse');
    if (plan.action !== 'refuse') return;
    assert.equal(plan.error.code, 'ECR_ANYWHERE_IMMUTABLE_SECRET');
    assert.match(plan.error.message, /immutable: true.*never refreshed/);
  });

  it('leaves an unlabeled immutable Secret alone', () => {
    assert.equal(planAdmission(secretReview({ ...managedSecret({ labels: {} }), immutable: true }).request, 'us-east-1').action, 'skip');
  });
});
