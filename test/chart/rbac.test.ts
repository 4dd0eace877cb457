// Least privilege, rule by rule: each ServiceAccount gets exactly what its program uses, and nothing in any mode
// lets the webhook list or read Secrets other than its own. The refresher's Secret rights are broad, and said so.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { at, MINIMAL_VALUES, ofKind, podTemplate, only, renderChart, type KubeObject } from '../../harness/helm.js';

interface Rule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly verbs: string[];
  readonly resourceNames?: string[];
}

/** "<Kind>/<name>: group/resource[names] verbs" lines, sorted, for the roles bound to `serviceAccount`. */
function grants(objects: readonly KubeObject[], serviceAccount: string): string[] {
  const bindings = [...ofKind(objects, 'RoleBinding'), ...ofKind(objects, 'ClusterRoleBinding')].filter((binding) =>
    at<Array<{ kind: string; name: string }>>(binding, 'subjects').some((s) => s.kind === 'ServiceAccount' && s.name === serviceAccount),
  );
  return bindings
    .flatMap((binding) => {
      const ref = at<{ kind: string; name: string }>(binding, 'roleRef');
      const role = only(objects.filter((o) => o.metadata.name === ref.name), ref.kind);
      return at<Rule[]>(role, 'rules').map(
        (rule) => `${ref.kind}: ${rule.apiGroups.join(',')}/${rule.resources.join(',')}${rule.resourceNames ? `[${rule.resourceNames.join(',')}]` : ''} ${rule.verbs.join(',')}`,
      );
    })
    .sort();
}

function serviceAccountOf(objects: readonly KubeObject[], kind: string): string {
  return podTemplate(only(objects, kind)).spec.serviceAccountName as string;
}

describe('RBAC', () => {
  it('uses a separate ServiceAccount per program', async () => {
    const objects = await renderChart(MINIMAL_VALUES);
    assert.notEqual(serviceAccountOf(objects, 'Deployment'), serviceAccountOf(objects, 'CronJob'));
  });

  it('lets the webhook (tls.mode=self) touch only its own TLS Secret and its own webhook configuration', async () => {
    const objects = await renderChart(MINIMAL_VALUES);
    assert.deepEqual(grants(objects, serviceAccountOf(objects, 'Deployment')), [
      'ClusterRole: admissionregistration.k8s.io/mutatingwebhookconfigurations[ecr-anywhere-webhook] get,patch',
      'Role: /secrets[ecr-anywhere-webhook-tls] get,update',
    ]);
  });

  for (const mode of ['certManager', 'manual']) {
    it(`gives the webhook no API rights at all in tls.mode=${mode}`, async () => {
      const objects = await renderChart({ ...MINIMAL_VALUES, tls: { mode, manual: { secretName: 'tls', caBundle: 'Zm9v' } } });
      assert.deepEqual(grants(objects, serviceAccountOf(objects, 'Deployment')), []);
      assert.equal(podTemplate(only(objects, 'Deployment')).spec.automountServiceAccountToken, false);
    });
  }

  it('lets the refresher list and patch Secrets, list namespaces and create events — nothing more', async () => {
    const objects = await renderChart(MINIMAL_VALUES);
    assert.deepEqual(grants(objects, serviceAccountOf(objects, 'CronJob')), [
      'ClusterRole: /events create',
      'ClusterRole: /namespaces list',
      'ClusterRole: /secrets list,patch',
    ]);
  });

  it('adds creating Secrets and updating ServiceAccounts only when provisioning is on', async () => {
    const objects = await renderChart({ ...MINIMAL_VALUES, refresher: { provisioning: { secretName: 'ecr-pull' } } });
    assert.deepEqual(grants(objects, serviceAccountOf(objects, 'CronJob')), [
      'ClusterRole: /events create',
      'ClusterRole: /namespaces list',
      'ClusterRole: /secrets list,patch,create',
      'ClusterRole: /serviceaccounts list,get,patch',
    ]);
  });

  it('never grants wildcards, deletion or escalation', async () => {
    const objects = await renderChart({ ...MINIMAL_VALUES, refresher: { provisioning: { secretName: 'ecr-pull' } } });
    for (const role of [...ofKind(objects, 'Role'), ...ofKind(objects, 'ClusterRole')]) {
      for (const rule of at<Rule[]>(role, 'rules')) {
        const text = JSON.stringify(rule);
        assert.ok(!text.includes('*'), `${role.metadata.name} has a wildcard: ${text}`);
        for (const verb of ['delete', 'deletecollection', 'escalate', 'bind', 'impersonate']) assert.ok(!rule.verbs.includes(verb), `${role.metadata.name}: ${verb}`);
      }
    }
  });

  it('grants these rights on Secrets and no others, in every role of the chart', async () => {
    const objects = await renderChart({ ...MINIMAL_VALUES, refresher: { provisioning: { secretName: 'ecr-pull' } } });
    const onSecrets = [...ofKind(objects, 'Role'), ...ofKind(objects, 'ClusterRole')].flatMap((role) =>
      at<Rule[]>(role, 'rules')
        .filter((rule) => rule.apiGroups.includes('') && rule.resources.includes('secrets'))
        .map((rule) => `${role.kind} ${role.metadata.name}: secrets${rule.resourceNames ? `[${rule.resourceNames.join(',')}]` : ''} ${rule.verbs.join(',')}`),
    );
    assert.deepEqual(onSecrets.sort(), [
      // What these verbs permit, cluster-wide and on every Secret, not only the labeled ones (RBAC cannot select
      // by label): `list` returns every Secret *with its data*, so it reads them all as surely as `get` would;
      // `patch` rewrites any Secret's data or labels; `create` makes a Secret in any namespace. That is the
      // refresher's real power — narrowing it is the tenancy issue's work.
      'ClusterRole ecr-anywhere-refresher: secrets list,patch,create',
      // The webhook (tls.mode=self): read and replace its own TLS Secret, by name, in its own namespace only.
      'Role ecr-anywhere-webhook: secrets[ecr-anywhere-webhook-tls] get,update',
    ]);
  });

  it('mounts an API token only into pods that use the API', async () => {
    const objects = await renderChart({ ...MINIMAL_VALUES, tls: { mode: 'certManager' } });
    for (const account of ofKind(objects, 'ServiceAccount')) assert.equal(account.automountServiceAccountToken, false);
    assert.equal(podTemplate(only(objects, 'CronJob')).spec.automountServiceAccountToken, true);
    assert.equal(podTemplate(only(objects, 'Deployment')).spec.automountServiceAccountToken, false);
  });

  it('binds an existing ServiceAccount when told not to create one', async () => {
    const objects = await renderChart({ ...MINIMAL_VALUES, refresher: { serviceAccount: { create: false, name: 'ops-refresher' } } });
    assert.equal(serviceAccountOf(objects, 'CronJob'), 'ops-refresher');
    assert.ok(grants(objects, 'ops-refresher').length > 0);
    assert.equal(ofKind(objects, 'ServiceAccount').some((a) => a.metadata.name === 'ops-refresher'), false);
  });
});
