// Applying a plan with the cluster as plain data: namespaces before Secrets, each refusal on its own row with its
// code, a Secret the webhook has not filled (yet) bumped again, then reported. The Kubernetes side is proven on a
// real API server in test/e2e/migrate.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kubernetesError } from '../../src/common/kubernetes-client.js';
import { EXPIRES_AT_ANNOTATION, MANAGED_LABEL } from '../../src/common/names.js';
import type { Inventory, NamespaceInfo, SecretInfo } from '../../src/migrate/inventory.js';
import type { SecretPatch } from '../../src/migrate/plan.js';
import { applyMigration, planFor, readInventory, type MigrationCluster, type SecretRef } from '../../src/migrate/run.js';
import type { SecretListScope } from '../../src/migrate/scope.js';

const NOW = new Date('2026-11-21T12:00:00Z');
const clock = (): Date => NOW;
const FILLED = { [EXPIRES_AT_ANNOTATION]: '2026-11-22T00:00:00Z' };
const OPTIONS = { namespaces: undefined, secretName: undefined };

function secret(namespace: string, name: string): SecretInfo {
  return { namespace, name, type: 'kubernetes.io/dockerconfigjson', labels: {}, annotations: { 'deft.com/kubeecr': '123456789012/us-east-1' }, immutable: false, resourceVersion: '1', authRegistries: [] };
}

/** Patches answered from a script per Secret: the annotations to return in turn, or an error. */
class PlainDataCluster implements MigrationCluster {
  readonly calls: string[] = [];
  readonly slept: number[] = [];
  constructor(
    private readonly inventory: Inventory,
    private readonly answers: Record<string, Array<Record<string, string> | Error>>,
    private readonly namespaceErrors: Record<string, Error> = {},
  ) {}
  async listNamespaces(): Promise<NamespaceInfo[]> {
    return [...this.inventory.namespaces];
  }
  async listSecrets(scope: SecretListScope): Promise<SecretInfo[]> {
    this.calls.push(`list ${scope.name ?? '*'} in ${scope.namespaces?.join(',') ?? 'all'}`);
    return [...this.inventory.secrets];
  }
  async patchNamespace(name: string): Promise<void> {
    this.calls.push(`namespace ${name}`);
    const error = this.namespaceErrors[name];
    if (error) throw error;
  }
  async patchSecret(ref: SecretRef, patch: SecretPatch): Promise<Record<string, string>> {
    this.calls.push(`secret ${ref.namespace}/${ref.name}${patch.metadata.labels?.[MANAGED_LABEL] ? ' +label' : ''}`);
    const next = this.answers[`${ref.namespace}/${ref.name}`]?.shift() ?? {};
    if (next instanceof Error) throw next;
    return next;
  }
}

async function migrate(cluster: PlainDataCluster): Promise<Map<string, unknown>> {
  const plan = planFor('kubeecr', await readInventory(cluster, 'kubeecr', OPTIONS), OPTIONS, NOW);
  const sleep = async (ms: number): Promise<void> => void cluster.slept.push(ms);
  const rows = await applyMigration(plan, cluster, { clock, sleep });
  return new Map(rows.map((row) => [`${row.namespace}/${row.name}`, row.outcome]));
}

describe('applyMigration', () => {
  it('enables each namespace once, before its Secrets, and reports the expiry the webhook wrote', async () => {
    const cluster = new PlainDataCluster({ namespaces: [{ name: 'a', labels: {} }], secrets: [secret('a', 'one'), secret('a', 'two')] }, { 'a/one': [FILLED], 'a/two': [FILLED] });
    const outcomes = await migrate(cluster);
    assert.deepEqual(cluster.calls, ['list * in all', 'namespace a', 'secret a/one +label', 'secret a/two +label']);
    assert.deepEqual(outcomes.get('a/one'), { kind: 'migrated', expiresAt: '2026-11-22T00:00:00Z' });
  });

  it('reports a forbidden or conflicting patch on that Secret with its code and goes on with the others', async () => {
    const forbidden = kubernetesError(403, 'patch Secret a/one: secrets "one" is forbidden: User "u" cannot patch resource "secrets"');
    const conflict = kubernetesError(409, 'patch Secret a/two: Operation cannot be fulfilled on secrets "two": the object has been modified');
    const cluster = new PlainDataCluster(
      { namespaces: [{ name: 'a', labels: {} }], secrets: [secret('a', 'one'), secret('a', 'two'), secret('a', 'three')] },
      { 'a/one': [forbidden], 'a/two': [conflict], 'a/three': [FILLED] },
    );
    const outcomes = await migrate(cluster);
    assert.deepEqual(outcomes.get('a/one'), { kind: 'failed', code: 'ECR_ANYWHERE_KUBERNETES_API', reason: forbidden.message });
    assert.deepEqual(outcomes.get('a/two'), { kind: 'failed', code: 'ECR_ANYWHERE_KUBERNETES_API', reason: conflict.message });
    assert.equal((outcomes.get('a/three') as { kind: string }).kind, 'migrated');
  });

  it('leaves the Secrets of a namespace it could not enable untouched, and says why on each', async () => {
    const forbidden = kubernetesError(403, 'label Namespace a enabled: namespaces "a" is forbidden');
    const cluster = new PlainDataCluster(
      { namespaces: [{ name: 'a', labels: {} }, { name: 'b', labels: {} }], secrets: [secret('a', 'one'), secret('b', 'two')] },
      { 'b/two': [FILLED] },
      { a: forbidden },
    );
    const outcomes = await migrate(cluster);
    assert.ok(!cluster.calls.includes('secret a/one +label'));
    assert.deepEqual(outcomes.get('a/one'), {
      kind: 'failed',
      code: 'ECR_ANYWHERE_KUBERNETES_API',
      reason: `left unchanged, its namespace could not be enabled: ${forbidden.message}`,
    });
    assert.equal((outcomes.get('b/two') as { kind: string }).kind, 'migrated');
  });

  it('bumps a Secret again while the webhook has not yet seen the namespace label, then counts it filled', async () => {
    const cluster = new PlainDataCluster({ namespaces: [{ name: 'a', labels: {} }], secrets: [secret('a', 'one')] }, { 'a/one': [{}, {}, FILLED] });
    const outcomes = await migrate(cluster);
    assert.equal((outcomes.get('a/one') as { kind: string }).kind, 'migrated');
    assert.deepEqual(cluster.calls.slice(-3), ['secret a/one +label', 'secret a/one', 'secret a/one']);
    assert.deepEqual(cluster.slept, [250, 500]);
  });

  it('reports a Secret never filled (no webhook, or one that does not see the namespace) as ECR_ANYWHERE_MIGRATE_NOT_FILLED', async () => {
    const stale = { [EXPIRES_AT_ANNOTATION]: '2026-11-21T11:00:00Z' };
    const cluster = new PlainDataCluster({ namespaces: [{ name: 'a', labels: {} }], secrets: [secret('a', 'one')] }, { 'a/one': [stale, stale, stale, stale, stale] });
    const outcome = (await migrate(cluster)).get('a/one') as { kind: string; code: string; reason: string };
    assert.equal(outcome.kind, 'failed');
    assert.equal(outcome.code, 'ECR_ANYWHERE_MIGRATE_NOT_FILLED');
    assert.deepEqual(cluster.slept, [250, 500, 1_000, 2_000], 'bounded: four more bumps');
  });
});
