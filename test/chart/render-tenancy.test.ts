// The chart's tenancy values: the webhook's defaults reach its environment (and parse as the program reads them),
// the refresher learns its namespaces and the excluded ones, the write guard renders for Kubernetes >= 1.30 only,
// and the schema refuses malformed values. RBAC of these modes is asserted in rbac.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWebhookConfig } from '../../src/webhook/config.js';
import { parseRefreshConfig } from '../../src/refresher/config.js';
import { at, envOf, helmTemplate, MINIMAL_VALUES, ofKind, only, podTemplate, RELEASE_NAMESPACE, renderChart, type KubeObject } from '../../harness/helm.js';

function envOfWorkload(objects: readonly KubeObject[], kind: string): Record<string, string> {
  const [container] = podTemplate(only(objects, kind)).spec.containers;
  assert.ok(container);
  return Object.fromEntries([...envOf(container)].filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

describe('tenancy values', () => {
  it('hands the cluster defaults to the webhook, which parses them', async () => {
    const objects = await renderChart({ ...MINIMAL_VALUES, tenancy: { defaultAllowedRegistries: '111111111111.dkr.ecr.*.amazonaws.com', requireNamespaceRole: true } });
    const env = envOfWorkload(objects, 'Deployment');
    assert.deepEqual([env.DEFAULT_ALLOWED_REGISTRIES, env.REQUIRE_NAMESPACE_ROLE, env.NAMESPACE_WATCH], ['111111111111.dkr.ecr.*.amazonaws.com', 'true', undefined]);
    const config = parseWebhookConfig([], { ...env, AWS_REGION: 'us-east-1', POD_NAMESPACE: RELEASE_NAMESPACE });
    assert.deepEqual([config.tenancy.allowed.text, config.tenancy.requireRole, config.namespaceWatch], ['111111111111.dkr.ecr.*.amazonaws.com', true, true]);
  });

  it("defaults to today's behaviour: any registry, the webhook's own identity", async () => {
    const env = envOfWorkload(await renderChart(MINIMAL_VALUES), 'Deployment');
    const config = parseWebhookConfig([], { ...env, AWS_REGION: 'us-east-1', POD_NAMESPACE: RELEASE_NAMESPACE });
    assert.deepEqual([config.tenancy.allowed.text, config.tenancy.requireRole], ['*', false]);
  });

  it('excludes the release namespace and the webhook excluded namespaces from the refresher', async () => {
    const objects = await renderChart({ ...MINIMAL_VALUES, webhook: { excludedNamespaces: ['infra', 'monitoring'] } });
    const env = envOfWorkload(objects, 'CronJob');
    assert.equal(env.REFRESH_EXCLUDED_NAMESPACES, `${RELEASE_NAMESPACE},infra,monitoring`);
    assert.deepEqual(parseRefreshConfig([], env).excludedNamespaces, [RELEASE_NAMESPACE, 'infra', 'monitoring']);
  });

  it('passes refresher.namespaces as REFRESH_NAMESPACES (namespaced mode), and nothing without it', async () => {
    const namespaced = envOfWorkload(await renderChart({ ...MINIMAL_VALUES, refresher: { namespaces: ['team-a', 'team-b'] } }), 'CronJob');
    assert.deepEqual(parseRefreshConfig([], namespaced).namespaces, ['team-a', 'team-b']);
    assert.equal(envOfWorkload(await renderChart(MINIMAL_VALUES), 'CronJob').REFRESH_NAMESPACES, undefined);
  });
});

describe('refresher.restrictWrites', () => {
  it('renders a ValidatingAdmissionPolicy matching only the refresher ServiceAccount, bound with Deny', async () => {
    const objects = await renderChart({ ...MINIMAL_VALUES, refresher: { restrictWrites: true } });
    const policy = only(objects, 'ValidatingAdmissionPolicy');
    const binding = only(objects, 'ValidatingAdmissionPolicyBinding');
    assert.deepEqual([policy.apiVersion, binding.apiVersion], ['admissionregistration.k8s.io/v1', 'admissionregistration.k8s.io/v1']);
    assert.equal(policy.metadata.name, 'ecr-anywhere-refresher-writes');
    assert.deepEqual(at(binding, 'spec'), { policyName: policy.metadata.name, validationActions: ['Deny'] });
    assert.deepEqual(at(policy, 'spec', 'matchConditions'), [
      { name: 'only-the-refresher', expression: `request.userInfo.username == "system:serviceaccount:${RELEASE_NAMESPACE}:ecr-anywhere-refresher"` },
    ]);
    assert.equal(at(policy, 'spec', 'failurePolicy'), 'Fail');
    assert.deepEqual(at(policy, 'spec', 'matchConstraints', 'resourceRules', 0, 'resources'), ['secrets']);
  });

  it('allows creating the provisioned Secret only when provisioning is on', async () => {
    const plain = JSON.stringify(at(only(await renderChart({ ...MINIMAL_VALUES, refresher: { restrictWrites: true } }), 'ValidatingAdmissionPolicy'), 'spec', 'validations', 0));
    assert.ok(!plain.includes("'CREATE'"), plain);
    const provisioning = await renderChart({ ...MINIMAL_VALUES, refresher: { restrictWrites: true, provisioning: { secretName: 'ecr-pull' } } });
    assert.match(JSON.stringify(at(only(provisioning, 'ValidatingAdmissionPolicy'), 'spec', 'validations', 0)), /CREATE.*ecr-pull/);
  });

  it('is off by default', async () => {
    assert.deepEqual(ofKind(await renderChart(MINIMAL_VALUES), 'ValidatingAdmissionPolicy'), []);
  });

  it('refuses to render for Kubernetes older than 1.30, saying why', async () => {
    const result = await helmTemplate({ ...MINIMAL_VALUES, refresher: { restrictWrites: true } }, { kubeVersion: '1.29.4' });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /refresher\.restrictWrites needs Kubernetes >= 1\.30/);
  });
});

describe('tenancy schema', () => {
  const rejections: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a typo inside tenancy', { tenancy: { defaultAllowedRegistry: '*' } }, /at '\/tenancy': additional properties 'defaultAllowedRegistry' not allowed/],
    ['a malformed default pattern', { tenancy: { defaultAllowedRegistries: '1111*.dkr.ecr.us-east-1.amazonaws.com' } }, /at '\/tenancy\/defaultAllowedRegistries'/],
    ['an empty default pattern list', { tenancy: { defaultAllowedRegistries: '' } }, /at '\/tenancy\/defaultAllowedRegistries'/],
    ['requireNamespaceRole as a string', { tenancy: { requireNamespaceRole: 'yes' } }, /at '\/tenancy\/requireNamespaceRole': got string, want boolean/],
    ['a malformed namespace in refresher.namespaces', { refresher: { namespaces: ['Team_A'] } }, /at '\/refresher\/namespaces\/0'/],
    ['refresher.namespaces as a string', { refresher: { namespaces: 'team-a' } }, /at '\/refresher\/namespaces': got string, want array/],
    ['restrictWrites as a string', { refresher: { restrictWrites: 'true' } }, /at '\/refresher\/restrictWrites': got string, want boolean/],
  ];
  for (const [name, values, message] of rejections) {
    it(`refuses ${name}`, async () => {
      const result = await helmTemplate({ ...MINIMAL_VALUES, ...values });
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, message);
    });
  }

  it('accepts every documented form of the default patterns', async () => {
    for (const patterns of ['*', 'none', '111111111111.dkr.ecr.*.amazonaws.com', '*.dkr.ecr.eu-west-1.amazonaws.com, 222222222222.dkr.ecr-fips.us-gov-west-1.amazonaws.com', '*.dkr.ecr.*.amazonaws.com.cn']) {
      const result = await helmTemplate({ ...MINIMAL_VALUES, tenancy: { defaultAllowedRegistries: patterns } });
      assert.equal(result.code, 0, `${patterns}: ${result.stderr}`);
    }
  });
});
