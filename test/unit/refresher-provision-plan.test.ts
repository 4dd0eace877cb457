import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DOCKER_CONFIG_JSON_TYPE } from '../../src/common/names.js';
import type { ManagedSecretInfo } from '../../src/refresher/plan.js';
import { imagePullSecretsWith } from '../../src/common/image-pull-secrets.js';
import { namespacesMissingSecret, namespacesWithSecret, serviceAccountsToLink } from '../../src/refresher/provision-plan.js';

const managed = (namespace: string, name: string): ManagedSecretInfo => ({ namespace, name, type: DOCKER_CONFIG_JSON_TYPE, annotations: {} });

describe('namespacesMissingSecret', () => {
  it('lists enabled namespaces without a managed Secret of that name, sorted, never system namespaces', () => {
    const enabled = new Set(['team-c', 'team-a', 'team-b', 'kube-system', 'kube-public']);
    const listed = [managed('team-a', 'ecr-pull'), managed('team-b', 'other-name'), managed('team-z', 'ecr-pull')];
    assert.deepEqual(namespacesMissingSecret(enabled, listed, 'ecr-pull'), ['team-b', 'team-c']);
  });
  it('needs nothing when every enabled namespace has it', () => {
    assert.deepEqual(namespacesMissingSecret(new Set(['a']), [managed('a', 'ecr-pull')], 'ecr-pull'), []);
  });
});

describe('namespacesWithSecret', () => {
  it('holds the scope\'s namespaces that list the Secret, plus those this run made it in (or would, in a dry run)', () => {
    const enabled = new Set(['has', 'made', 'unfilled', 'planned', 'refused', 'gone']);
    const listed = [managed('has', 'ecr-pull'), managed('has', 'other'), managed('elsewhere', 'ecr-pull'), managed('kube-system', 'ecr-pull')];
    const missing = ['made', 'unfilled', 'planned', 'refused', 'gone'];
    const outcomes = ['created', 'failed', 'planned', 'conflict', 'gone'] as const;
    assert.deepEqual([...namespacesWithSecret(new Set([...enabled, 'kube-system']), listed, 'ecr-pull', missing, outcomes)].sort(), ['has', 'made', 'planned', 'unfilled']);
  });
});

describe('serviceAccountsToLink', () => {
  it('keeps accounts in namespaces holding the Secret, never in system namespaces', () => {
    const accounts = [{ namespace: 'has' }, { namespace: 'without' }, { namespace: 'kube-system' }];
    assert.deepEqual(serviceAccountsToLink(accounts, new Set(['has', 'kube-system'])), [{ namespace: 'has' }]);
  });
});

describe('imagePullSecretsWith', () => {
  const cases: Array<[string, Array<{ name?: string }> | undefined, Array<{ name?: string }> | undefined]> = [
    ['no list yet', undefined, [{ name: 'ecr-pull' }]],
    ['an empty list', [], [{ name: 'ecr-pull' }]],
    ['other entries, kept in order', [{ name: 'dockerhub' }, { name: 'quay' }], [{ name: 'dockerhub' }, { name: 'quay' }, { name: 'ecr-pull' }]],
    ['already listed', [{ name: 'dockerhub' }, { name: 'ecr-pull' }], undefined],
    ['an entry without a name survives', [{}], [{}, { name: 'ecr-pull' }]],
  ];
  for (const [label, existing, expected] of cases) {
    it(label, () => assert.deepEqual(imagePullSecretsWith(existing, 'ecr-pull'), expected));
  }
  it('does not mutate the list it was given', () => {
    const existing = [{ name: 'dockerhub' }];
    imagePullSecretsWith(existing, 'ecr-pull');
    assert.deepEqual(existing, [{ name: 'dockerhub' }]);
  });
});
