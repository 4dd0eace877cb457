// Pure: the table `ecr-anywhere migrate` prints (what it would change, or what it changed) and its JSON form.
import { renderColumns } from '../common/columns.js';
import { ErrorCodes } from '../common/errors.js';
import type { Peer } from './peer-names.js';
import type { Change, MigrationRow, Outcome } from './plan.js';

const CHANGE_TEXT: Record<Change, string> = {
  'managed-label': '+managed label',
  registries: '+registries',
  'namespace-label': '+namespace enabled',
};

function resultText(outcome: Outcome, applied: boolean): string {
  switch (outcome.kind) {
    case 'planned':
      return applied ? 'not attempted' : 'would migrate';
    case 'migrated':
      return `migrated (filled, expires ${outcome.expiresAt})`;
    case 'skipped':
      return `skipped: ${outcome.reason} [${outcome.code}]`;
    case 'failed':
      return `FAILED: ${outcome.reason} [${outcome.code}]`;
  }
}

export function renderMigrationTable(peer: Peer, rows: readonly MigrationRow[], applied: boolean): string {
  if (rows.length === 0) return `No Secrets managed by ${peer} found [${ErrorCodes.MIGRATE_NOTHING_FOUND.code}].\n`;
  const table = renderColumns(
    ['NAMESPACE', 'NAME', 'REGISTRIES', 'CHANGES', 'RESULT'],
    rows.map((row) => [
      row.namespace,
      row.name,
      row.registries.length === 0 ? '-' : row.registries.join(','),
      row.changes.length === 0 ? '(refresh only)' : row.changes.map((change) => CHANGE_TEXT[change]).join(' '),
      resultText(row.outcome, applied),
    ]),
  );
  const left = rows.filter((row) => row.outcome.kind === 'skipped' || row.outcome.kind === 'failed').length;
  const footer = !applied
    ? 'Dry run: nothing was changed. Stop the peer, then run again with --apply.\n'
    : left > 0
      ? `${left} of ${rows.length} Secrets were not migrated (see RESULT); fix them and run again: migrated ones are left as they are.\n`
      : `Stop ${peer} now if it still runs (it would keep rewriting these Secrets); the refresher keeps them fresh from here.\n`;
  return `${table}${footer}`;
}

export function renderMigrationJson(peer: Peer, rows: readonly MigrationRow[], applied: boolean): string {
  const secrets = rows.map(({ namespace, name, registries, changes, outcome }) => ({ namespace, name, registries, changes, ...outcome }));
  return `${JSON.stringify({ from: peer, applied, secrets }, null, 2)}\n`;
}
