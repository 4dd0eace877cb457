// What `helm install` creates with only aws.region set: the objects, their wiring (selectors, ports, names) and
// the Pod Security "restricted" settings of every pod.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { MANAGED_LABEL, MANAGED_LABEL_VALUE, NAMESPACE_LABEL, NAMESPACE_LABEL_VALUE, PROTECTED_NAMESPACES, WEBHOOK_NAME, WEBHOOK_PATH } from '../../src/common/names.js';
import { at, envOf, MINIMAL_VALUES, only, podTemplate, RELEASE_NAMESPACE, renderChart, type KubeObject } from '../../harness/helm.js';

let objects: KubeObject[];
let deployment: KubeObject;
let cronJob: KubeObject;

before(async () => {
  objects = await renderChart(MINIMAL_VALUES);
  deployment = only(objects, 'Deployment');
  cronJob = only(objects, 'CronJob');
});

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

describe('default install', () => {
  it('creates exactly the expected objects', () => {
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    assert.deepEqual(kinds, [
      'ClusterRole/ecr-anywhere-refresher',
      'ClusterRole/ecr-anywhere-webhook',
      'ClusterRole/ecr-anywhere-webhook-namespaces',
      'ClusterRoleBinding/ecr-anywhere-refresher',
      'ClusterRoleBinding/ecr-anywhere-webhook',
      'ClusterRoleBinding/ecr-anywhere-webhook-namespaces',
      'CronJob/ecr-anywhere-refresher',
      'Deployment/ecr-anywhere-webhook',
      'MutatingWebhookConfiguration/ecr-anywhere-webhook',
      'PodDisruptionBudget/ecr-anywhere-webhook',
      'Role/ecr-anywhere-webhook',
      'RoleBinding/ecr-anywhere-webhook',
      'Secret/ecr-anywhere-webhook-tls',
      'Service/ecr-anywhere-webhook',
      'ServiceAccount/ecr-anywhere-refresher',
      'ServiceAccount/ecr-anywhere-webhook',
    ]);
    for (const object of objects) {
      if (!['ClusterRole', 'ClusterRoleBinding', 'MutatingWebhookConfiguration'].includes(object.kind)) {
        assert.equal(object.metadata.namespace, RELEASE_NAMESPACE, `${object.kind} must be in the release namespace`);
      }
      assert.equal(object.metadata.labels?.['app.kubernetes.io/managed-by'], 'Helm');
    }
  });

  it('runs 2 webhook replicas that roll without losing availability', () => {
    assert.equal(at(deployment, 'spec', 'replicas'), 2);
    assert.deepEqual(at(deployment, 'spec', 'strategy', 'rollingUpdate'), { maxUnavailable: 0, maxSurge: 1 });
  });

  it('wires Deployment, Service and PDB to the webhook pods only, never to refresher pods', () => {
    const selector = at<Record<string, string>>(deployment, 'spec', 'selector', 'matchLabels');
    const webhookLabels = podTemplate(deployment).metadata.labels;
    const refresherLabels = podTemplate(cronJob).metadata.labels;
    assert.ok(matches(selector, webhookLabels));
    assert.ok(!matches(selector, refresherLabels), 'the webhook selector must not select refresher pods');
    assert.deepEqual(at(only(objects, 'Service'), 'spec', 'selector'), selector);
    assert.deepEqual(at(only(objects, 'PodDisruptionBudget'), 'spec', 'selector', 'matchLabels'), selector);
    assert.equal(selector['app.kubernetes.io/component'], 'webhook');
  });

  it('serves the webhook on Service port 443 → container port 8443, and the ops port for metrics', () => {
    const ports = at<Array<{ name: string; port: number; targetPort: string }>>(only(objects, 'Service'), 'spec', 'ports');
    const [container] = podTemplate(deployment).spec.containers;
    const containerPorts = at<Array<{ name: string; containerPort: number }>>(container, 'ports');
    const byName = new Map(containerPorts.map((p) => [p.name, p.containerPort]));
    assert.deepEqual(
      ports.map((p) => [p.port, byName.get(p.targetPort)]),
      [
        [443, 8443],
        [8080, 8080],
      ],
    );
    const env = envOf(container!);
    assert.equal(env.get('PORT'), '8443');
    assert.equal(env.get('OPS_PORT'), '8080');
  });

  it('probes liveness and readiness on the ops port', () => {
    const [container] = podTemplate(deployment).spec.containers;
    assert.deepEqual(at(container, 'livenessProbe', 'httpGet'), { path: '/healthz', port: 'ops' });
    assert.deepEqual(at(container, 'readinessProbe', 'httpGet'), { path: '/readyz', port: 'ops' });
    assert.deepEqual(at(container, 'startupProbe', 'httpGet'), { path: '/healthz', port: 'ops' });
  });

  it('terminates gracefully: a preStop pause while endpoints update, inside the grace period', () => {
    const spec = podTemplate(deployment).spec;
    const [container] = spec.containers;
    const pause = at<number>(container, 'lifecycle', 'preStop', 'sleep', 'seconds');
    assert.equal(pause, 5);
    assert.ok(pause < at<number>(spec, 'terminationGracePeriodSeconds'));
  });

  it('prefers spreading webhook replicas over nodes and zones without requiring it', () => {
    const spec = podTemplate(deployment).spec;
    const selector = at<Record<string, string>>(deployment, 'spec', 'selector', 'matchLabels');
    const [term] = at<Array<{ weight: number; podAffinityTerm: { topologyKey: string; labelSelector: { matchLabels: Record<string, string> } } }>>(
      spec,
      'affinity',
      'podAntiAffinity',
      'preferredDuringSchedulingIgnoredDuringExecution',
    );
    assert.equal(term?.podAffinityTerm.topologyKey, 'kubernetes.io/hostname');
    assert.deepEqual(term?.podAffinityTerm.labelSelector.matchLabels, selector);
    assert.equal(at(spec, 'affinity', 'podAntiAffinity', 'requiredDuringSchedulingIgnoredDuringExecution'), undefined);
    const [spread] = at<Array<Record<string, unknown>>>(spec, 'topologySpreadConstraints');
    assert.equal(spread?.whenUnsatisfiable, 'ScheduleAnyway');
    assert.deepEqual(at(spread, 'labelSelector', 'matchLabels'), selector);
  });

  for (const kind of ['Deployment', 'CronJob']) {
    it(`gives the ${kind} pods the Pod Security "restricted" settings`, () => {
      const spec = podTemplate(only(objects, kind)).spec;
      assert.deepEqual(at(spec, 'securityContext'), {
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        fsGroup: 65532,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      assert.equal(spec.containers.length, 1);
      for (const container of spec.containers) {
        assert.deepEqual(container.securityContext, {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          privileged: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        assert.deepEqual(container.volumeMounts?.find((m) => m.name === 'tmp'), { name: 'tmp', mountPath: '/tmp' }, 'a writable /tmp on a read-only root');
        assert.ok(at(container, 'resources', 'requests', 'memory'), 'memory request');
        assert.ok(at(container, 'resources', 'limits', 'memory'), 'memory limit');
      }
      assert.equal(spec.enableServiceLinks, false);
      assert.deepEqual(
        spec.volumes?.find((v) => v.name === 'tmp'),
        { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
      );
    });
  }

  it('runs one image for both programs: `webhook` and `refresh`', () => {
    const [webhook] = podTemplate(deployment).spec.containers;
    const [refresher] = podTemplate(cronJob).spec.containers;
    assert.equal(webhook?.image, 'ghcr.io/ecr-anywhere/ecr-anywhere:0.1.0');
    assert.equal(refresher?.image, webhook?.image);
    assert.deepEqual(webhook?.args, ['webhook']);
    assert.deepEqual(refresher?.args, ['refresh']);
  });

  it('registers the webhook as the original did, scoped to opted-in Secrets in opted-in namespaces', () => {
    const configuration = only(objects, 'MutatingWebhookConfiguration');
    const [webhook, ...others] = at<Array<Record<string, unknown>>>(configuration, 'webhooks');
    assert.equal(others.length, 0);
    assert.equal(webhook?.name, WEBHOOK_NAME);
    assert.deepEqual(at(webhook, 'clientConfig', 'service'), { name: 'ecr-anywhere-webhook', namespace: RELEASE_NAMESPACE, path: WEBHOOK_PATH, port: 443 });
    assert.deepEqual(webhook?.rules, [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['secrets'], scope: 'Namespaced' }]);
    assert.equal(webhook?.failurePolicy, 'Fail');
    assert.equal(webhook?.sideEffects, 'None');
    assert.deepEqual(webhook?.admissionReviewVersions, ['v1']);
    assert.equal(webhook?.matchPolicy, 'Equivalent');
    assert.ok((webhook?.timeoutSeconds as number) <= 10);
    assert.deepEqual(webhook?.objectSelector, { matchLabels: { [MANAGED_LABEL]: MANAGED_LABEL_VALUE } });
    assert.deepEqual(at(webhook, 'namespaceSelector', 'matchExpressions'), [
      { key: NAMESPACE_LABEL, operator: 'In', values: [NAMESPACE_LABEL_VALUE] },
      { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...PROTECTED_NAMESPACES, RELEASE_NAMESPACE] },
    ]);
  });

  it('runs the refresher every 30 minutes, never two at once, with bounded retries and history', () => {
    const spec = at<Record<string, unknown>>(cronJob, 'spec');
    assert.equal(spec.schedule, '*/30 * * * *');
    assert.equal(spec.concurrencyPolicy, 'Forbid');
    assert.equal(spec.startingDeadlineSeconds, 300);
    assert.equal(spec.successfulJobsHistoryLimit, 3);
    assert.equal(spec.failedJobsHistoryLimit, 3);
    assert.equal(at(spec, 'jobTemplate', 'spec', 'backoffLimit'), 1);
    assert.equal(at(spec, 'jobTemplate', 'spec', 'activeDeadlineSeconds'), 900);
    assert.equal(podTemplate(cronJob).spec.restartPolicy, 'Never');
    const env = envOf(podTemplate(cronJob).spec.containers[0]!);
    assert.deepEqual(Object.fromEntries(env), { LOG_LEVEL: 'info', REFRESH_THRESHOLD: '6h', REFRESH_INTERVAL: '30m', REFRESH_CONCURRENCY: '8', REFRESH_EXCLUDED_NAMESPACES: RELEASE_NAMESPACE });
  });

  it('gives AWS credentials to the webhook only: the refresher pod has no AWS variable and no AWS volume', () => {
    const refresher = podTemplate(cronJob).spec;
    assert.deepEqual([...envOf(refresher.containers[0]!).keys()].filter((name) => name.startsWith('AWS_')), []);
    assert.deepEqual(refresher.volumes?.map((v) => v.name), ['tmp']);
    assert.equal(envOf(podTemplate(deployment).spec.containers[0]!).get('AWS_REGION'), 'us-east-1');
  });
});
