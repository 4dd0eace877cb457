// Optional values and edge cases: long names, provisioning, monitoring, scheduling overrides, the preStop sleep on
// older clusters, a disabled refresher.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NAMESPACE_LABEL, NAMESPACE_LABEL_VALUE } from '../../src/common/names.js';
import { at, envOf, MINIMAL_VALUES, ofKind, only, podTemplate, renderChart, type KubeObject } from '../../harness/helm.js';
import { EDGE_VALUES } from './value-sets.js';

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Every name helm sets (object names and the names objects refer to), for the length and format checks. */
function names(objects: readonly KubeObject[]): string[] {
  return objects.flatMap((o) => [o.metadata.name, ...Object.values(o.metadata.labels ?? {})]);
}

describe('names', () => {
  for (const [name, values] of Object.entries(EDGE_VALUES)) {
    it(`stay valid Kubernetes names with the ${name} values`, async () => {
      const objects = await renderChart(values);
      for (const value of names(objects)) assert.ok(value.length <= 63, `"${value}" is longer than 63`);
      for (const object of objects) {
        if (object.kind === 'Service') assert.match(object.metadata.name, DNS_LABEL, 'a Service name must be a DNS-1035 label');
        if (object.kind === 'CronJob') assert.ok(object.metadata.name.length <= 52, `CronJob ${object.metadata.name} is longer than 52`);
      }
    });
  }

  it('cuts the prefix of long names, never the suffix that tells the objects apart', async () => {
    const values = EDGE_VALUES['a 53-character release name'];
    const objects = await renderChart(values);
    const prefix = (max: number, suffix: string): string => `${String(values.fullnameOverride).slice(0, max - suffix.length - 1).replace(/-+$/, '')}-${suffix}`;
    assert.equal(only(objects, 'Deployment').metadata.name, prefix(63, 'webhook'));
    assert.equal(only(objects, 'CronJob').metadata.name, prefix(52, 'refresher'));
    assert.match(only(objects, 'Secret').metadata.name, /-webhook-tls$/);
  });

  it('uses fullnameOverride as the prefix of every name', async () => {
    const objects = await renderChart({ ...MINIMAL_VALUES, fullnameOverride: 'ecr' });
    assert.deepEqual([...new Set(objects.map((o) => o.metadata.name))].sort(), ['ecr-refresher', 'ecr-webhook', 'ecr-webhook-namespaces', 'ecr-webhook-tls']);
  });
});

describe('optional values', () => {
  it('pins the image by digest and adds pull secrets and common labels everywhere', async () => {
    const objects = await renderChart(EDGE_VALUES['everything optional on']);
    for (const workload of [only(objects, 'Deployment'), only(objects, 'CronJob')]) {
      const spec = podTemplate(workload).spec;
      const [container] = spec.containers;
      assert.ok(container);
      assert.equal(container.image, `registry.example.com/ecr-anywhere@sha256:${'a'.repeat(64)}`);
      assert.deepEqual(spec.imagePullSecrets, [{ name: 'registry-pull' }]);
      assert.equal(spec.priorityClassName, 'system-cluster-critical');
      assert.equal(envOf(container).get('LOG_LEVEL'), 'debug');
    }
    for (const object of objects) assert.equal(object.metadata.labels?.team, 'platform', `${object.kind} lacks the common label`);
  });

  it('passes provisioning to the refresher and only then grants it the verbs it needs', async () => {
    const objects = await renderChart(EDGE_VALUES['everything optional on']);
    const env = envOf(podTemplate(only(objects, 'CronJob')).spec.containers[0]!);
    assert.equal(env.get('PROVISION_SECRET_NAME'), 'ecr-pull');
    assert.equal(env.get('PROVISION_SERVICE_ACCOUNTS'), 'default,builder');
    assert.equal(env.get('REFRESH_THRESHOLD'), '4h30m');
    assert.equal(env.get('REFRESH_CONCURRENCY'), '16');
    const cronJob = only(objects, 'CronJob');
    assert.equal(at(cronJob, 'spec', 'timeZone'), 'Etc/UTC');
    assert.equal(at(cronJob, 'spec', 'schedule'), '*/15 * * * *');

    const off = envOf(podTemplate(only(await renderChart(MINIMAL_VALUES), 'CronJob')).spec.containers[0]!);
    assert.equal(off.has('PROVISION_SECRET_NAME'), false);
    assert.equal(off.has('PROVISION_SERVICE_ACCOUNTS'), false);
  });

  it('excludes extra namespaces from the webhook on top of the system and release namespaces', async () => {
    const objects = await renderChart(EDGE_VALUES['everything optional on']);
    const webhook = at<Record<string, unknown>>(only(objects, 'MutatingWebhookConfiguration'), 'webhooks', 0);
    const expressions = at<Array<{ key: string; operator: string; values: string[] }>>(webhook, 'namespaceSelector', 'matchExpressions');
    assert.deepEqual(expressions.find((e) => e.operator === 'NotIn')?.values, ['kube-system', 'kube-public', 'ecr-anywhere-system', 'monitoring']);
    assert.equal(webhook.failurePolicy, 'Ignore');
    assert.equal(webhook.timeoutSeconds, 5);
  });

  it('scopes the webhook and the refresher to the same extra namespace labels', async () => {
    const objects = await renderChart(EDGE_VALUES['everything optional on']);
    const expressions = at<Array<{ key: string; operator: string; values: string[] }>>(
      only(objects, 'MutatingWebhookConfiguration'),
      'webhooks',
      0,
      'namespaceSelector',
      'matchExpressions',
    );
    const required = expressions.filter((e) => e.operator === 'In').map((e) => `${e.key}=${e.values.join('|')}`);
    assert.deepEqual(required, [`${NAMESPACE_LABEL}=${NAMESPACE_LABEL_VALUE}`, 'example.com/tier=prod', 'team=payments']);
    // The refresher adds the enabled label itself; the selector carries the rest, in the same terms.
    const env = envOf(podTemplate(only(objects, 'CronJob')).spec.containers[0]!);
    assert.equal(env.get('REFRESH_NAMESPACE_SELECTOR'), required.slice(1).join(','));
    const unscoped = envOf(podTemplate(only(await renderChart(MINIMAL_VALUES), 'CronJob')).spec.containers[0]!);
    assert.equal(unscoped.has('REFRESH_NAMESPACE_SELECTOR'), false);
  });

  it('lets a user affinity replace the default and keeps a user labelSelector in spread constraints', async () => {
    const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['system'] }] }] } } };
    const constraint = { maxSkew: 2, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { custom: 'yes' } } };
    const spec = podTemplate(only(await renderChart({ ...MINIMAL_VALUES, webhook: { affinity, topologySpreadConstraints: [constraint] } }), 'Deployment')).spec;
    assert.deepEqual(spec.affinity, affinity);
    assert.deepEqual(spec.topologySpreadConstraints, [constraint]);
    const none = podTemplate(only(await renderChart({ ...MINIMAL_VALUES, webhook: { topologySpreadConstraints: [] } }), 'Deployment')).spec;
    assert.equal(none.topologySpreadConstraints, undefined);
  });

  it('uses the preStop sleep action only where Kubernetes has it (1.30+)', async () => {
    const lifecycle = async (kubeVersion: string, values: unknown = MINIMAL_VALUES): Promise<unknown> =>
      podTemplate(only(await renderChart(values, { kubeVersion }), 'Deployment')).spec.containers[0]?.lifecycle;
    assert.equal(await lifecycle('1.29.4'), undefined);
    assert.deepEqual(await lifecycle('1.30.0'), { preStop: { sleep: { seconds: 5 } } });
    assert.equal(await lifecycle('1.32.0', { ...MINIMAL_VALUES, webhook: { preStopSleepSeconds: 0 } }), undefined);
  });

  it('refuses clusters older than 1.25', async () => {
    await assert.rejects(renderChart(MINIMAL_VALUES, { kubeVersion: '1.24.0' }), /chart requires kubeVersion: >=1\.25\.0-0/);
  });

  it('installs no refresher objects when the refresher is off', async () => {
    const objects = await renderChart(EDGE_VALUES['refresher off, one replica, no PDB']);
    assert.deepEqual(objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'refresher'), []);
    assert.deepEqual(ofKind(objects, 'PodDisruptionBudget'), []);
    assert.equal(at(only(objects, 'Deployment'), 'spec', 'replicas'), 1);
  });

  it('scrapes the ops port and alerts on failed refreshes, refusals and expiring tokens', async () => {
    const objects = await renderChart(EDGE_VALUES['everything optional on']);
    const monitor = only(objects, 'ServiceMonitor');
    assert.equal(monitor.metadata.labels?.release, 'prometheus');
    assert.deepEqual(at(monitor, 'spec', 'selector', 'matchLabels'), at(only(objects, 'Service'), 'spec', 'selector'));
    assert.deepEqual(at(monitor, 'spec', 'endpoints', 0, 'port'), 'metrics');
    assert.ok(at<Array<{ name: string }>>(only(objects, 'Service'), 'spec', 'ports').some((p) => p.name === 'metrics'));

    const rules = at<Array<{ alert: string; expr: string }>>(only(objects, 'PrometheusRule'), 'spec', 'groups', 0, 'rules');
    assert.deepEqual(rules.map((r) => r.alert), ['EcrAnywhereRefreshFailed', 'EcrAnywhereRefresherNotSucceeding', 'EcrAnywhereWebhookRefusing', 'EcrAnywhereTokenExpiringSoon']);
    const byName = new Map(rules.map((r) => [r.alert, r.expr]));
    assert.match(byName.get('EcrAnywhereRefreshFailed') ?? '', /cronjob="ecr-refresher"/);
    assert.match(byName.get('EcrAnywhereWebhookRefusing') ?? '', /ecr_anywhere_admissions_total\{namespace="ecr-anywhere-system", outcome="refused"\}/);
    assert.match(byName.get('EcrAnywhereTokenExpiringSoon') ?? '', /max by \(namespace, region\) \(ecr_anywhere_token_expiry_seconds\{namespace="ecr-anywhere-system"\}\) < 10800/);
  });

  it('drops the refresher alerts with the refresher', async () => {
    const objects = await renderChart({ ...MINIMAL_VALUES, refresher: { enabled: false }, metrics: { prometheusRule: { enabled: true } } });
    const rules = at<Array<{ alert: string }>>(only(objects, 'PrometheusRule'), 'spec', 'groups', 0, 'rules');
    assert.deepEqual(rules.map((r) => r.alert), ['EcrAnywhereWebhookRefusing', 'EcrAnywhereTokenExpiringSoon']);
  });
});
