import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DOCKER_CONFIG_JSON_TYPE } from '../../src/common/names.js';
import type { ManagedSecretInfo } from '../../src/refresher/plan.js';
import { imagePullSecretsWith, namespacesMissingSecret } from '../../src/refresher/provision-plan.js';

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
