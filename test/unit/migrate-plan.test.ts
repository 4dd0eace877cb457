// The migration plan from what the finders report: the changes, the refusals with their codes, the exit code and
// the table. Plain data and a fixed clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MANAGED_LABEL, MARKED_FOR_UPDATE_AT_ANNOTATION, NAMESPACE_LABEL, REGISTRIES_ANNOTATION } from '../../src/common/names.js';
import type { FoundSecret } from '../../src/migrate/found.js';
import type { NamespaceInfo, SecretInfo } from '../../src/migrate/inventory.js';
import { migrationExitCode, namespaceEnablePatch, planMigration, type MigrationRow } from '../../src/migrate/plan.js';
import { renderMigrationJson, renderMigrationTable } from '../../src/migrate/report.js';

const NOW = new Date('2026-11-21T12:00:00Z');
const HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const OTHER_HOST = '210987654321.dkr.ecr.eu-west-1.amazonaws.com';

function found(namespace: string, name: string, extra: Partial<SecretInfo> = {}, registries: string[] = [HOST], registryProblem?: string): FoundSecret {
  const secret: SecretInfo = { namespace, name, type: 'kubernetes.io/dockerconfigjson', labels: {}, annotations: {}, immutable: false, resourceVersion: '7', authRegistries: [], ...extra };
  return { secret, registries, ...(registryProblem === undefined ? {} : { registryProblem }) };
}
const enabled = (name: string): NamespaceInfo => ({ name, labels: { [NAMESPACE_LABEL]: 'enabled' } });
const plain = (name: string): NamespaceInfo => ({ name, labels: {} });

describe('planMigration', () => {
  it('adds the managed label, the registries annotation and the namespace label, and bumps marked_for_update_at', () => {
    const plan = planMigration([found('app', 'pull')], [plain('app')], NOW);
    const [row] = plan.rows;
    assert.deepEqual(row?.changes, ['managed-label', 'registries', 'namespace-label']);
    assert.deepEqual(row?.outcome, { kind: 'planned' });
    assert.deepEqual(row?.patch, {
      metadata: {
        resourceVersion: '7',
        labels: { [MANAGED_LABEL]: 'true' },
        annotations: { [REGISTRIES_ANNOTATION]: HOST, [MARKED_FOR_UPDATE_AT_ANNOTATION]: '2026-11-21T12:00:00Z' },
      },
    });
    assert.deepEqual(plan.namespacesToEnable, ['app']);
    assert.deepEqual(namespaceEnablePatch(), { metadata: { labels: { [NAMESPACE_LABEL]: 'enabled' } } });
  });

  it('keeps registries already annotated and appends only the missing ones', () => {
    const secret = found('app', 'pull', { annotations: { [REGISTRIES_ANNOTATION]: ` ${OTHER_HOST} ,` } }, [HOST, OTHER_HOST]);
    const [row] = planMigration([secret], [enabled('app')], NOW).rows;
    assert.deepEqual(row?.registries, [OTHER_HOST, HOST]);
    assert.equal(row?.patch?.metadata.annotations[REGISTRIES_ANNOTATION], `${OTHER_HOST},${HOST}`);
  });

  it('changes nothing but the bump for a Secret already migrated, and labels no namespace twice', () => {
    const done = found('app', 'pull', { labels: { [MANAGED_LABEL]: 'true' }, annotations: { [REGISTRIES_ANNOTATION]: HOST } });
    const plan = planMigration([done, found('other', 'a'), found('other', 'b')], [enabled('app'), plain('other')], NOW);
    assert.deepEqual(plan.rows[0]?.changes, []);
    assert.deepEqual(plan.rows[0]?.patch?.metadata, { resourceVersion: '7', annotations: { [MARKED_FOR_UPDATE_AT_ANNOTATION]: '2026-11-21T12:00:00Z' } });
    assert.deepEqual(plan.namespacesToEnable, ['other']);
  });

  it('reports, never converts, a Secret of the wrong type; also immutable, protected-namespace and registry-less ones', () => {
    const plan = planMigration(
      [
        found('app', 'opaque', { type: 'Opaque' }),
        found('app', 'frozen', { immutable: true }),
        found('kube-system', 'pull'),
        found('app', 'nothing', {}, [], 'its .dockerconfigjson has no entry for an ECR registry (1 other entries)'),
      ],
      [plain('app'), plain('kube-system')],
      NOW,
    );
    const byName = new Map(plan.rows.map((row) => [`${row.namespace}/${row.name}`, row]));
    const codeOf = (key: string): string | undefined => {
      const outcome = byName.get(key)?.outcome;
      return outcome?.kind === 'skipped' ? outcome.code : undefined;
    };
    assert.equal(codeOf('app/opaque'), 'ECR_ANYWHERE_WRONG_SECRET_TYPE');
    assert.equal(codeOf('app/frozen'), 'ECR_ANYWHERE_IMMUTABLE_SECRET');
    assert.equal(codeOf('kube-system/pull'), 'ECR_ANYWHERE_MIGRATE_PROTECTED_NAMESPACE');
    assert.equal(codeOf('app/nothing'), 'ECR_ANYWHERE_MIGRATE_NO_REGISTRY');
    assert.ok(plan.rows.every((row) => row.patch === undefined && row.changes.length === 0));
    assert.deepEqual(plan.namespacesToEnable, [], 'no namespace is labeled for Secrets that are not migrated');
  });

  it('orders rows by namespace and name', () => {
    const plan = planMigration([found('b', 'x'), found('a', 'z'), found('a', 'y')], [], NOW);
    assert.deepEqual(plan.rows.map((row) => `${row.namespace}/${row.name}`), ['a/y', 'a/z', 'b/x']);
  });
});

describe('migrationExitCode', () => {
  const row = (outcome: MigrationRow['outcome']): MigrationRow => ({ namespace: 'a', name: 'b', registries: [HOST], changes: [], outcome });
  it('is 0 only when something was found and all of it is (or would be) managed', () => {
    assert.equal(migrationExitCode([row({ kind: 'planned' }), row({ kind: 'migrated', expiresAt: 'x' })]), 0);
    assert.equal(migrationExitCode([]), 1);
    assert.equal(migrationExitCode([row({ kind: 'planned' }), row({ kind: 'skipped', code: 'ECR_ANYWHERE_WRONG_SECRET_TYPE', reason: 'r' })]), 1);
    assert.equal(migrationExitCode([row({ kind: 'failed', code: 'ECR_ANYWHERE_KUBERNETES_API', reason: 'r' })]), 1);
  });
});

describe('the table and JSON', () => {
  const plan = planMigration([found('app', 'pull'), found('app', 'opaque', { type: 'Opaque' })], [plain('app')], NOW);

  it('shows each Secret, its registries, the changes and what would happen, and says nothing was changed', () => {
    const table = renderMigrationTable('kubeecr', plan.rows, false);
    const lines = table.split('\n');
    assert.match(lines[0] ?? '', /^NAMESPACE\s+NAME\s+REGISTRIES\s+CHANGES\s+RESULT$/);
    assert.match(table, new RegExp(`app\\s+pull\\s+${HOST.replace(/\./g, '\\.')}\\s+\\+managed label \\+registries \\+namespace enabled\\s+would migrate`));
    assert.match(table, /app\s+opaque\s+.*skipped: type Opaque, not kubernetes\.io\/dockerconfigjson.*\[ECR_ANYWHERE_WRONG_SECRET_TYPE\]/);
    assert.match(table, /Dry run: nothing was changed/);
  });

  it('after --apply, counts the Secrets left behind, or says to stop the peer when none is', () => {
    const [pull, opaque] = [plan.rows[1], plan.rows[0]] as [MigrationRow, MigrationRow];
    const migrated: MigrationRow = { ...pull, outcome: { kind: 'migrated', expiresAt: '2026-11-22T00:00:00Z' } };
    assert.match(renderMigrationTable('kubeecr', [opaque, migrated], true), /1 of 2 Secrets were not migrated \(see RESULT\)/);
    const clean = renderMigrationTable('kubeecr', [migrated], true);
    assert.match(clean, /migrated \(filled, expires 2026-11-22T00:00:00Z\)/);
    assert.match(clean, /Stop kubeecr now if it still runs/);
  });

  it('says so, with the code, when nothing is found', () => {
    assert.equal(renderMigrationTable('eatr', [], false), 'No Secrets managed by eatr found [ECR_ANYWHERE_MIGRATE_NOTHING_FOUND].\n');
  });

  it('gives the same rows as JSON, without the patch', () => {
    const json = JSON.parse(renderMigrationJson('kubeecr', plan.rows, false)) as { from: string; applied: boolean; secrets: Array<Record<string, unknown>> };
    assert.equal(json.from, 'kubeecr');
    assert.equal(json.applied, false);
    assert.deepEqual(json.secrets[1], {
      namespace: 'app',
      name: 'pull',
      registries: [HOST],
      changes: ['managed-label', 'registries', 'namespace-label'],
      kind: 'planned',
    });
  });
});
