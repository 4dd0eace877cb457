// Pure: what migrating each found Secret takes — our managed label, the registries annotation holding what the peer
// named (added to any entries already there), the enabled label on its Namespace — and what is refused instead.
// Names stay as they are, so every imagePullSecrets reference keeps working.
import { ErrorCodes, type ErrorCode } from '../common/errors.js';
import {
  DOCKER_CONFIG_JSON_TYPE,
  MANAGED_LABEL,
  MANAGED_LABEL_VALUE,
  MARKED_FOR_UPDATE_AT_ANNOTATION,
  NAMESPACE_LABEL,
  NAMESPACE_LABEL_VALUE,
  PROTECTED_NAMESPACES,
  REGISTRIES_ANNOTATION,
} from '../common/names.js';
import { formatRfc3339 } from '../common/time.js';
import type { FoundSecret } from './found.js';
import type { NamespaceInfo } from './inventory.js';

export type Change = 'managed-label' | 'registries' | 'namespace-label';

export type Outcome =
  | { readonly kind: 'planned' }
  | { readonly kind: 'skipped'; readonly code: ErrorCode; readonly reason: string }
  | { readonly kind: 'migrated'; readonly expiresAt: string }
  | { readonly kind: 'failed'; readonly code: ErrorCode; readonly reason: string };

/** The merge patch of one Secret: only these keys change, everything else stays as stored. */
export interface SecretPatch {
  readonly metadata: {
    /** The version the plan was made from: a Secret changed since then is refused (409), not overwritten. */
    readonly resourceVersion: string | undefined;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
  };
}

export interface MigrationRow {
  readonly namespace: string;
  readonly name: string;
  /** The registries annotation after migration (or the peer's registries, for a skipped Secret). */
  readonly registries: readonly string[];
  readonly changes: readonly Change[];
  readonly outcome: Outcome;
  /** Set on planned rows only. */
  readonly patch?: SecretPatch;
}

export interface MigrationPlan {
  readonly rows: readonly MigrationRow[];
  /** Namespaces to label enabled before their Secrets are patched (the webhook acts only in enabled namespaces). */
  readonly namespacesToEnable: readonly string[];
}

function registriesOf(annotation: string | undefined): string[] {
  return (annotation ?? '').split(',').map((host) => host.trim().toLowerCase()).filter((host) => host !== '');
}

function skipReason(found: FoundSecret): { code: ErrorCode; reason: string } | undefined {
  const { secret } = found;
  if (PROTECTED_NAMESPACES.has(secret.namespace)) {
    return { code: ErrorCodes.MIGRATE_PROTECTED_NAMESPACE.code, reason: `the webhook never fills Secrets in ${secret.namespace}` };
  }
  if (secret.type !== DOCKER_CONFIG_JSON_TYPE) {
    return { code: ErrorCodes.WRONG_SECRET_TYPE.code, reason: `type ${secret.type}, not ${DOCKER_CONFIG_JSON_TYPE}: recreate it with that type` };
  }
  if (secret.immutable) {
    return { code: ErrorCodes.IMMUTABLE_SECRET.code, reason: 'immutable: it could never be refreshed; recreate it without immutable' };
  }
  if (found.registries.length === 0) {
    return { code: ErrorCodes.MIGRATE_NO_REGISTRY.code, reason: found.registryProblem ?? 'the peer names no ECR registry for it' };
  }
  return undefined;
}

function planRow(found: FoundSecret, enabled: ReadonlySet<string>, now: Date): MigrationRow {
  const { secret } = found;
  const skipped = skipReason(found);
  const base = { namespace: secret.namespace, name: secret.name };
  if (skipped) return { ...base, registries: found.registries, changes: [], outcome: { kind: 'skipped', ...skipped } };
  const current = registriesOf(secret.annotations[REGISTRIES_ANNOTATION]);
  const added = found.registries.filter((host) => !current.includes(host));
  const registries = [...current, ...added];
  const labeled = secret.labels[MANAGED_LABEL] === MANAGED_LABEL_VALUE;
  const changes: Change[] = [
    ...(labeled ? [] : ['managed-label' as const]),
    ...(added.length > 0 ? ['registries' as const] : []),
    ...(enabled.has(secret.namespace) ? [] : ['namespace-label' as const]),
  ];
  const patch: SecretPatch = {
    metadata: {
      resourceVersion: secret.resourceVersion,
      ...(labeled ? {} : { labels: { [MANAGED_LABEL]: MANAGED_LABEL_VALUE } }),
      annotations: {
        ...(added.length > 0 ? { [REGISTRIES_ANNOTATION]: registries.join(',') } : {}),
        // Always a real change, so the update reaches the webhook even when the label and annotation were there.
        [MARKED_FOR_UPDATE_AT_ANNOTATION]: formatRfc3339(now),
      },
    },
  };
  return { ...base, registries, changes, outcome: { kind: 'planned' }, patch };
}

export function planMigration(found: readonly FoundSecret[], namespaces: readonly NamespaceInfo[], now: Date): MigrationPlan {
  const enabled = new Set(namespaces.filter((namespace) => namespace.labels[NAMESPACE_LABEL] === NAMESPACE_LABEL_VALUE).map((namespace) => namespace.name));
  const rows = [...found]
    .sort((a, b) => `${a.secret.namespace}/${a.secret.name}`.localeCompare(`${b.secret.namespace}/${b.secret.name}`))
    .map((entry) => planRow(entry, enabled, now));
  const namespacesToEnable = [...new Set(rows.filter((row) => row.changes.includes('namespace-label')).map((row) => row.namespace))];
  return { rows, namespacesToEnable };
}

/** The Namespace label patch that enables a namespace (only that label; the others stay). */
export function namespaceEnablePatch(): { readonly metadata: { readonly labels: Readonly<Record<string, string>> } } {
  return { metadata: { labels: { [NAMESPACE_LABEL]: NAMESPACE_LABEL_VALUE } } };
}

/** 0: every Secret found is (or would be) managed; 1: nothing found, or any Secret skipped or failed. */
export function migrationExitCode(rows: readonly MigrationRow[]): number {
  return rows.length > 0 && rows.every((row) => row.outcome.kind === 'planned' || row.outcome.kind === 'migrated') ? 0 : 1;
}
