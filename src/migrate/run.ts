// The migration against a cluster: read what the peer left, plan, and (with --apply) label the namespaces, patch
// each Secret and check the webhook filled it. Every failure lands on the row of the Secret it concerns.
import { EcrAnywhereError, ErrorCodes, errorCode, errorMessage } from '../common/errors.js';
import { EXPIRES_AT_ANNOTATION, MARKED_FOR_UPDATE_AT_ANNOTATION } from '../common/names.js';
import { formatRfc3339, parseRfc3339, type Clock } from '../common/time.js';
import type { Inventory, NamespaceInfo, SecretInfo } from './inventory.js';
import type { Peer } from './peer-names.js';
import { findPeerSecrets, type FindOptions } from './peers/peers.js';
import { namespaceEnablePatch, planMigration, type MigrationPlan, type MigrationRow, type SecretPatch } from './plan.js';
import { secretListScope, type SecretListScope } from './scope.js';

export interface SecretRef {
  readonly namespace: string;
  readonly name: string;
}

/** What migrate needs from the cluster; kubernetes.ts implements it with the client. */
export interface MigrationCluster {
  listNamespaces(): Promise<NamespaceInfo[]>;
  listSecrets(scope: SecretListScope): Promise<SecretInfo[]>;
  patchNamespace(name: string, patch: ReturnType<typeof namespaceEnablePatch>): Promise<void>;
  /** Merge patch; returns the annotations of the Secret as stored (after the webhook). */
  patchSecret(secret: SecretRef, patch: SecretPatch): Promise<Readonly<Record<string, string>>>;
}

export type Sleep = (ms: number) => Promise<void>;

/**
 * The webhook learns of the namespace label from its watch, a moment after our patch: an update that arrives first
 * is let through unfilled. So an unfilled Secret is bumped again a few times, with growing pauses (about 4 s in all).
 */
const REFILL_PAUSES_MS = [250, 500, 1_000, 2_000] as const;

export async function readInventory(cluster: MigrationCluster, peer: Peer, options: FindOptions): Promise<Inventory> {
  const namespaces = await cluster.listNamespaces();
  const scope = secretListScope(peer, namespaces, options);
  const secrets = scope.namespaces?.length === 0 ? [] : await cluster.listSecrets(scope);
  return { namespaces, secrets };
}

export function planFor(peer: Peer, inventory: Inventory, options: FindOptions, now: Date): MigrationPlan {
  return planMigration(findPeerSecrets(peer, inventory, options), inventory.namespaces, now);
}

function failed(row: MigrationRow, error: unknown, prefix = ''): MigrationRow {
  return { ...row, outcome: { kind: 'failed', code: errorCode(error) ?? ErrorCodes.INTERNAL.code, reason: `${prefix}${errorMessage(error)}` } };
}

function filledUntil(annotations: Readonly<Record<string, string>>, now: Date): string | undefined {
  const raw = annotations[EXPIRES_AT_ANNOTATION];
  const expiresAt = parseRfc3339(raw);
  return expiresAt !== undefined && expiresAt.getTime() > now.getTime() ? raw : undefined;
}

async function migrateSecret(row: MigrationRow, patch: SecretPatch, cluster: MigrationCluster, clock: Clock, sleep: Sleep): Promise<MigrationRow> {
  const ref = { namespace: row.namespace, name: row.name };
  try {
    let stored = await cluster.patchSecret(ref, patch);
    for (const pause of REFILL_PAUSES_MS) {
      const expiresAt = filledUntil(stored, clock());
      if (expiresAt !== undefined) return { ...row, outcome: { kind: 'migrated', expiresAt } };
      await sleep(pause);
      stored = await cluster.patchSecret(ref, { metadata: { resourceVersion: undefined, annotations: { [MARKED_FOR_UPDATE_AT_ANNOTATION]: formatRfc3339(clock()) } } });
    }
    const expiresAt = filledUntil(stored, clock());
    if (expiresAt !== undefined) return { ...row, outcome: { kind: 'migrated', expiresAt } };
    const notFilled = new EcrAnywhereError(
      ErrorCodes.MIGRATE_NOT_FILLED,
      'labeled, but the webhook did not fill it: is ecr-anywhere installed, and does its namespaceSelector match this namespace?',
    );
    return failed(row, notFilled);
  } catch (error) {
    return failed(row, error);
  }
}

/** Applies the plan: namespaces first, then each Secret on its own; returns every row with its outcome. */
export async function applyMigration(plan: MigrationPlan, cluster: MigrationCluster, deps: { readonly clock: Clock; readonly sleep: Sleep }): Promise<MigrationRow[]> {
  const namespaceFailures = new Map<string, unknown>();
  for (const namespace of plan.namespacesToEnable) {
    try {
      await cluster.patchNamespace(namespace, namespaceEnablePatch());
    } catch (error) {
      namespaceFailures.set(namespace, error);
    }
  }
  const rows: MigrationRow[] = [];
  for (const row of plan.rows) {
    if (row.outcome.kind !== 'planned' || row.patch === undefined) {
      rows.push(row);
      continue;
    }
    const namespaceFailure = namespaceFailures.get(row.namespace);
    rows.push(
      namespaceFailure === undefined
        ? await migrateSecret(row, row.patch, cluster, deps.clock, deps.sleep)
        : failed(row, namespaceFailure, 'left unchanged, its namespace could not be enabled: '),
    );
  }
  return rows;
}
