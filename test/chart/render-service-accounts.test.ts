// serviceAccounts.inject: off by default (one webhook entry, no setting); on, a second entry for ServiceAccount
// CREATE in exactly the Secret entry's namespaces, answered by the same Service (or URL host) at
// /mutate-serviceaccounts with failurePolicy Ignore, and the webhook told which Secret to add.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1MutatingWebhook } from '@kubernetes/client-node';
import { envOf, helmTemplate, MINIMAL_VALUES, only, podTemplate, renderChart, type KubeObject } from '../../harness/helm.js';
import { TEST_CA_PEM } from './value-sets.js';

const SA_ENTRY = 'serviceaccounts.ecr-anywhere.centml.ai';

function webhooksOf(objects: readonly KubeObject[]): V1MutatingWebhook[] {
  return (only(objects, 'MutatingWebhookConfiguration') as unknown as { webhooks: V1MutatingWebhook[] }).webhooks;
}

function webhookEnv(objects: readonly KubeObject[]): Map<string, string | Record<string, unknown>> {
  return envOf(podTemplate(only(objects, 'Deployment')).spec.containers[0]!);
}

const PROVISIONING = { refresher: { provisioning: { secretName: 'ecr-pull' } } };

describe('serviceAccounts.inject', () => {
  it('is off by default: one webhook entry and no SERVICE_ACCOUNT_PULL_SECRET, even with provisioning on', async () => {
    for (const values of [MINIMAL_VALUES, { ...MINIMAL_VALUES, ...PROVISIONING }]) {
      const objects = await renderChart(values);
      assert.deepEqual(webhooksOf(objects).map((webhook) => webhook.name), ['ecr-anywhere.centml.ai']);
      assert.equal(webhookEnv(objects).has('SERVICE_ACCOUNT_PULL_SECRET'), false);
    }
  });

  it('adds the ServiceAccount entry, leaves the Secret entry as it was, and names the provisioning Secret by default', async () => {
    const [secretEntryBefore] = webhooksOf(await renderChart({ ...MINIMAL_VALUES, ...PROVISIONING }));
    const objects = await renderChart({ ...MINIMAL_VALUES, ...PROVISIONING, serviceAccounts: { inject: { enabled: true } } });
    const [secretEntry, accountEntry, ...rest] = webhooksOf(objects);
    assert.equal(rest.length, 0);
    assert.deepEqual(secretEntry, secretEntryBefore, 'the Secret entry is unchanged');
    assert.ok(accountEntry);
    assert.equal(accountEntry.name, SA_ENTRY);
    assert.deepEqual(accountEntry.rules, [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['serviceaccounts'], scope: 'Namespaced' }]);
    assert.deepEqual([accountEntry.failurePolicy, accountEntry.sideEffects, accountEntry.reinvocationPolicy], ['Ignore', 'None', 'Never']);
    assert.deepEqual(accountEntry.admissionReviewVersions, ['v1']);
    assert.equal(accountEntry.objectSelector, undefined, 'every ServiceAccount, labeled or not');
    assert.deepEqual(accountEntry.namespaceSelector, secretEntry?.namespaceSelector, 'exactly the Secret entry namespaces');
    assert.deepEqual(accountEntry.clientConfig.service, { ...secretEntry?.clientConfig.service, path: '/mutate-serviceaccounts' });
    assert.ok((accountEntry.timeoutSeconds ?? 0) <= 5, 'a silent webhook holds a ServiceAccount create at most a few seconds');
    assert.equal(webhookEnv(objects).get('SERVICE_ACCOUNT_PULL_SECRET'), 'ecr-pull');
  });

  it('keeps the enabled, extra-label and excluded-namespace rules in the ServiceAccount entry too', async () => {
    const objects = await renderChart({
      ...MINIMAL_VALUES,
      extraNamespaceLabels: { team: 'payments' },
      webhook: { excludedNamespaces: ['monitoring'] },
      serviceAccounts: { inject: { enabled: true, secretName: 'team-pull' } },
    });
    const selector = webhooksOf(objects)[1]?.namespaceSelector;
    assert.deepEqual(selector?.matchExpressions, [
      { key: 'ecr-anywhere.centml.ai/namespace', operator: 'In', values: ['enabled'] },
      { key: 'team', operator: 'In', values: ['payments'] },
      { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'kube-public', 'ecr-anywhere-system', 'monitoring'] },
    ]);
    assert.equal(webhookEnv(objects).get('SERVICE_ACCOUNT_PULL_SECRET'), 'team-pull', 'its own secretName');
  });

  it('prefers its own secretName over the provisioning one', async () => {
    const objects = await renderChart({ ...MINIMAL_VALUES, ...PROVISIONING, serviceAccounts: { inject: { enabled: true, secretName: 'other-pull' } } });
    assert.equal(webhookEnv(objects).get('SERVICE_ACCOUNT_PULL_SECRET'), 'other-pull');
  });

  it('with webhook.url, calls the same host at /mutate-serviceaccounts with the same caBundle', async () => {
    const objects = await renderChart({
      ...MINIMAL_VALUES,
      tls: { mode: 'manual', manual: { secretName: 'host-tls', caBundle: TEST_CA_PEM } },
      webhook: { url: 'https://127.0.0.1:9443/sync' },
      serviceAccounts: { inject: { enabled: true, secretName: 'ecr-pull' } },
    });
    const [secretEntry, accountEntry] = webhooksOf(objects);
    assert.equal(secretEntry?.clientConfig.url, 'https://127.0.0.1:9443/sync');
    assert.equal(accountEntry?.clientConfig.url, 'https://127.0.0.1:9443/mutate-serviceaccounts');
    assert.ok(accountEntry?.clientConfig.caBundle);
    assert.equal(accountEntry?.clientConfig.caBundle, secretEntry?.clientConfig.caBundle);
  });

  const rejections: Array<[string, unknown, RegExp]> = [
    ['no Secret name anywhere', { ...MINIMAL_VALUES, serviceAccounts: { inject: { enabled: true } } }, /serviceAccounts.inject.enabled needs a Secret name: set serviceAccounts.inject.secretName or refresher.provisioning.secretName/],
    [
      'a webhook.url that does not end in /sync',
      { ...MINIMAL_VALUES, tls: { mode: 'manual', manual: { secretName: 't', caBundle: TEST_CA_PEM } }, webhook: { url: 'https://127.0.0.1:9443/hook' }, serviceAccounts: { inject: { enabled: true, secretName: 'p' } } },
      /the URL must end in \/sync/,
    ],
    ['a Secret name that is not an object name', { ...MINIMAL_VALUES, serviceAccounts: { inject: { enabled: true, secretName: 'Ecr_Pull' } } }, /at '\/serviceAccounts\/inject\/secretName'/],
    ['an unknown key', { ...MINIMAL_VALUES, serviceAccounts: { inject: { enable: true } } }, /additional properties 'enable' not allowed|enable/],
  ];
  for (const [label, values, message] of rejections) {
    it(`fails the render on ${label}, naming the value`, async () => {
      const result = await helmTemplate(values);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, message);
    });
  }
});
