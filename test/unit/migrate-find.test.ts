// Finding each peer's Secrets, from plain data shaped as each peer leaves its Secrets and Namespaces.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authRegistriesOf } from '../../src/migrate/auth-registries.js';
import type { Inventory, NamespaceInfo, SecretInfo } from '../../src/migrate/inventory.js';
import { exactNamespaces, namespaceMatcher } from '../../src/migrate/namespace-patterns.js';
import { kubeEcrRegistry } from '../../src/migrate/peers/kubeecr.js';
import { findPeerSecrets, type FindOptions } from '../../src/migrate/peers/peers.js';
import { secretListScope } from '../../src/migrate/scope.js';

const HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const OTHER_HOST = '210987654321.dkr.ecr.eu-west-1.amazonaws.com';
const ALL: FindOptions = { namespaces: undefined, secretName: undefined };

function secret(namespace: string, name: string, extra: Partial<SecretInfo> = {}): SecretInfo {
  return { namespace, name, type: 'kubernetes.io/dockerconfigjson', labels: {}, annotations: {}, immutable: false, resourceVersion: '1', authRegistries: [], ...extra };
}
const ns = (name: string, labels: Record<string, string> = {}): NamespaceInfo => ({ name, labels });
const names = (found: ReturnType<typeof findPeerSecrets>): string[] => found.map((entry) => `${entry.secret.namespace}/${entry.secret.name}`);

describe('auth registries of a .dockerconfigjson', () => {
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64');

  it('reads the keys as the webhook does: https://host, host/ and host are one registry', () => {
    const config = { auths: { [`https://${HOST}`]: { auth: 'c2VjcmV0' }, [`${HOST}/`]: {}, 'https://index.docker.io/v1/': {} } };
    assert.deepEqual(authRegistriesOf(encode(config)), [HOST, 'index.docker.io/v1']);
  });

  it('yields nothing for junk, an empty value or no auths', () => {
    assert.deepEqual(authRegistriesOf(Buffer.from('FAKE').toString('base64')), []);
    assert.deepEqual(authRegistriesOf(undefined), []);
    assert.deepEqual(authRegistriesOf(encode({ credsStore: 'x' })), []);
  });

  it('returns no credential material, only hosts', () => {
    const result = authRegistriesOf(encode({ auths: { [HOST]: { username: 'AWS', password: 'the-token', auth: 'QVdTOnRoZS10b2tlbg==' } } }));
    assert.doesNotMatch(JSON.stringify(result), /the-token|QVdTOnRoZS10b2tlbg/);
  });
});

describe('namespace patterns (--namespaces, k8s-ecr-login-renew TARGET_NAMESPACE style)', () => {
  it('matches names exactly and * as any run of characters', () => {
    const matches = namespaceMatcher(['default', 'team-*']);
    assert.deepEqual(['default', 'team-a', 'team-', 'teams', 'xdefault', 'default2'].filter(matches), ['default', 'team-a', 'team-']);
  });

  it('matches every namespace without a filter', () => {
    assert.equal(namespaceMatcher(undefined)('anything'), true);
  });

  it('lists namespace by namespace only when every entry is an exact name', () => {
    assert.deepEqual(exactNamespaces(['a', 'b']), ['a', 'b']);
    assert.equal(exactNamespaces(['a', 'b-*']), undefined);
    assert.equal(exactNamespaces(undefined), undefined);
  });
});

describe('KubeECR: deft.com/kubeecr: <account>/<region>', () => {
  it('derives the registry host, China regions with .amazonaws.com.cn', () => {
    assert.deepEqual(kubeEcrRegistry('123456789012/us-east-1'), { host: HOST });
    assert.deepEqual(kubeEcrRegistry(' 123456789012 / cn-north-1 '), { host: '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn' });
  });

  it('says why a value names no registry', () => {
    for (const value of ['123456789/us-west-2', '123456789012', '123456789012/moon-base-1', '123456789012/us-east-1/extra', '']) {
      const result = kubeEcrRegistry(value);
      assert.ok('problem' in result, value);
      assert.match(result.problem, /deft\.com\/kubeecr/);
    }
  });

  it('finds annotated Secrets of any type, in scope, and keeps the problem of a bad annotation', () => {
    const inventory: Inventory = {
      namespaces: [ns('a'), ns('b')],
      secrets: [
        secret('a', 'pull', { annotations: { 'deft.com/kubeecr': '123456789012/us-east-1' } }),
        secret('a', 'opaque', { type: 'Opaque', annotations: { 'deft.com/kubeecr': '210987654321/eu-west-1' } }),
        secret('a', 'unrelated'),
        secret('b', 'bad', { annotations: { 'deft.com/kubeecr': 'nonsense' } }),
      ],
    };
    const found = findPeerSecrets('kubeecr', inventory, ALL);
    assert.deepEqual(names(found), ['a/pull', 'a/opaque', 'b/bad']);
    assert.deepEqual(found.map((entry) => entry.registries), [[HOST], [OTHER_HOST], []]);
    assert.match(found[2]?.registryProblem ?? '', /"nonsense"/);
    assert.deepEqual(names(findPeerSecrets('kubeecr', inventory, { ...ALL, namespaces: ['b'] })), ['b/bad']);
  });
});

describe('eatr: namespaces labeled <registry host>: "true", Secrets named after the host', () => {
  const inventory: Inventory = {
    namespaces: [
      ns('two', { [HOST]: 'true', [OTHER_HOST]: 'true', team: 'x' }),
      ns('off', { [HOST]: 'false' }),
      ns('label-only', { [HOST]: 'true' }),
      ns('plain'),
    ],
    secrets: [
      secret('two', HOST),
      secret('two', OTHER_HOST),
      secret('two', 'something-else'),
      secret('off', HOST),
      secret('plain', HOST),
    ],
  };

  it('finds one Secret per labeled registry, with that registry', () => {
    const found = findPeerSecrets('eatr', inventory, ALL);
    assert.deepEqual(names(found), [`two/${HOST}`, `two/${OTHER_HOST}`]);
    assert.deepEqual(found.map((entry) => entry.registries), [[HOST], [OTHER_HOST]]);
  });

  it('ignores a label whose value is not "true", a label without its Secret, and unlabeled namespaces', () => {
    const found = names(findPeerSecrets('eatr', inventory, ALL));
    assert.ok(!found.some((name) => name.startsWith('off/') || name.startsWith('plain/') || name.startsWith('label-only/')));
  });

  it('lists Secrets only in the labeled namespaces within the scope', () => {
    assert.deepEqual(secretListScope('eatr', inventory.namespaces, ALL), { name: undefined, namespaces: ['two', 'label-only'] });
    assert.deepEqual(secretListScope('eatr', inventory.namespaces, { ...ALL, namespaces: ['label-*'] }), { name: undefined, namespaces: ['label-only'] });
  });
});

describe('k8s-ecr-login-renew: DOCKER_SECRET_NAME in its target namespaces', () => {
  const inventory: Inventory = {
    namespaces: [ns('default'), ns('team-a'), ns('team-b')],
    secrets: [
      secret('default', 'k8s-ecr-login-renew-docker-secret', { authRegistries: [HOST, 'registry.example.com'] }),
      secret('team-a', 'k8s-ecr-login-renew-docker-secret', { authRegistries: [HOST, OTHER_HOST] }),
      secret('team-b', 'custom', { authRegistries: [OTHER_HOST] }),
      secret('team-b', 'k8s-ecr-login-renew-docker-secret', { authRegistries: ['registry.example.com'] }),
    ],
  };

  it('takes the default name and the ECR registries among its auths keys', () => {
    const found = findPeerSecrets('k8s-ecr-login-renew', inventory, ALL);
    assert.deepEqual(names(found), ['default/k8s-ecr-login-renew-docker-secret', 'team-a/k8s-ecr-login-renew-docker-secret', 'team-b/k8s-ecr-login-renew-docker-secret']);
    assert.deepEqual(found.map((entry) => entry.registries), [[HOST], [HOST, OTHER_HOST], []]);
    assert.match(found[2]?.registryProblem ?? '', /no entry for an ECR registry/);
  });

  it('takes --secret-name and --namespaces patterns', () => {
    assert.deepEqual(names(findPeerSecrets('k8s-ecr-login-renew', inventory, { secretName: 'custom', namespaces: undefined })), ['team-b/custom']);
    assert.deepEqual(names(findPeerSecrets('k8s-ecr-login-renew', inventory, { ...ALL, namespaces: ['team-*'] })), [
      'team-a/k8s-ecr-login-renew-docker-secret',
      'team-b/k8s-ecr-login-renew-docker-secret',
    ]);
  });

  it('asks the API server for that name only, namespace by namespace when they are exact and exist', () => {
    assert.deepEqual(secretListScope('k8s-ecr-login-renew', inventory.namespaces, ALL), { name: 'k8s-ecr-login-renew-docker-secret', namespaces: undefined });
    assert.deepEqual(secretListScope('k8s-ecr-login-renew', inventory.namespaces, { secretName: 'custom', namespaces: ['team-b', 'gone'] }), {
      name: 'custom',
      namespaces: ['team-b'],
    });
  });
});

describe('registry-creds: awsecr-cred', () => {
  it('finds awsecr-cred in every namespace, its registries from its auths keys', () => {
    const inventory: Inventory = {
      namespaces: [ns('a'), ns('b')],
      secrets: [secret('a', 'awsecr-cred', { authRegistries: [HOST] }), secret('b', 'dpr-secret', { authRegistries: ['registry.example.com'] })],
    };
    const found = findPeerSecrets('registry-creds', inventory, ALL);
    assert.deepEqual(names(found), ['a/awsecr-cred']);
    assert.deepEqual(found[0]?.registries, [HOST]);
    assert.deepEqual(secretListScope('registry-creds', inventory.namespaces, ALL), { name: 'awsecr-cred', namespaces: undefined });
  });
});
