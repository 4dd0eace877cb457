// Pure: the rows of `ecr-anywhere status` and their two renderings, a table for people and JSON for scripts.
import { EXPIRES_AT_ANNOTATION, MANAGED_REGISTRIES_ANNOTATION, REGISTRIES_ANNOTATION, UPDATED_AT_ANNOTATION } from '../common/names.js';
import { fillableShape } from '../common/secret-shape.js';
import { judgeFreshness } from './staleness.js';
import { formatDuration, parseRfc3339 } from '../common/time.js';
import { renderColumns } from '../common/columns.js';
import { isInScope, secretKey, type ManagedSecretInfo } from './plan.js';

export type SecretState = 'fresh' | 'expiring' | 'expired' | 'missing' | 'unparseable' | 'wrong-type' | 'immutable';

export interface StatusRow {
  readonly namespace: string;
  readonly name: string;
  /** Hosts from the registries annotation; empty means the default registry of the webhook's AWS_REGION. */
  readonly registries: readonly string[];
  readonly expiresAt: string | null;
  /** Milliseconds until expiry (negative once expired); null when unknown. */
  readonly expiresInMs: number | null;
  readonly lastRefresh: string | null;
  readonly stale: boolean;
  readonly state: SecretState;
}

export interface StatusReport {
  readonly generatedAt: string;
  readonly thresholdMs: number;
  readonly secrets: readonly StatusRow[];
  /** Secrets whose credentials cannot be used right now: expired, or never filled (no or garbage expires_at). */
  readonly unusable: number;
  readonly stale: number;
  /** Managed Secrets with immutable: true: they can never be refreshed. */
  readonly immutable: number;
}

const UNUSABLE: ReadonlySet<SecretState> = new Set(['expired', 'missing', 'unparseable', 'immutable']);

export function buildStatusReport(secrets: readonly ManagedSecretInfo[], enabledNamespaces: ReadonlySet<string>, now: Date, thresholdMs: number): StatusReport {
  const rows = secrets
    .filter((secret) => isInScope(secret, enabledNamespaces))
    .sort((a, b) => (secretKey(a) < secretKey(b) ? -1 : 1))
    .map((secret): StatusRow => {
      const rawExpiry = secret.annotations[EXPIRES_AT_ANNOTATION];
      const verdict = judgeFreshness(rawExpiry, now, thresholdMs);
      const shape = fillableShape(secret.type, secret.labels);
      const wrongType = shape === undefined;
      // An Argo CD Secret's registry is its url's, which a metadata-only list does not carry: what the webhook wrote.
      const registriesText = secret.annotations[shape === 'argocd-repository' ? MANAGED_REGISTRIES_ANNOTATION : REGISTRIES_ANNOTATION];
      const expiresAt = 'expiresAt' in verdict ? verdict.expiresAt : undefined;
      return {
        namespace: secret.namespace,
        name: secret.name,
        registries: (registriesText ?? '').split(',').map((host) => host.trim()).filter((host) => host !== ''),
        expiresAt: rawExpiry ?? null,
        expiresInMs: expiresAt ? expiresAt.getTime() - now.getTime() : null,
        lastRefresh: secret.annotations[UPDATED_AT_ANNOTATION] ?? null,
        stale: verdict.stale,
        state: wrongType ? 'wrong-type' : secret.immutable === true ? 'immutable' : verdict.reason,
      };
    });
  return {
    generatedAt: now.toISOString(),
    thresholdMs,
    secrets: rows,
    unusable: rows.filter((row) => UNUSABLE.has(row.state)).length,
    stale: rows.filter((row) => row.stale && row.state !== 'wrong-type' && row.state !== 'immutable').length,
    immutable: rows.filter((row) => row.state === 'immutable').length,
  };
}

/** 0 when every Secret holds unexpired credentials; 1 when any is expired, was never filled, or is immutable. */
export function statusExitCode(report: StatusReport): number {
  return report.unusable > 0 ? 1 : 0;
}

function ago(raw: string | null, now: Date): string {
  const at = parseRfc3339(raw ?? undefined);
  return at ? `${formatDuration(now.getTime() - at.getTime())} ago` : '-';
}

function staleColumn(row: StatusRow): string {
  if (row.state === 'wrong-type') return 'skipped (wrong type)';
  if (row.state === 'immutable') return 'IMMUTABLE: never refreshed (recreate without immutable)';
  return row.stale ? `yes (${row.state})` : 'no';
}

export function renderStatusTable(report: StatusReport): string {
  const now = new Date(report.generatedAt);
  const header = ['NAMESPACE', 'NAME', 'REGISTRIES', 'EXPIRES IN', 'LAST REFRESH', 'STALE'];
  const lines = report.secrets.map((row) => [
    row.namespace,
    row.name,
    row.registries.length === 0 ? '(default)' : row.registries.join(','),
    row.expiresInMs === null ? '-' : row.expiresInMs <= 0 ? `expired ${formatDuration(-row.expiresInMs)} ago` : formatDuration(row.expiresInMs),
    ago(row.lastRefresh, now),
    staleColumn(row),
  ]);
  if (lines.length === 0) return 'No managed Secrets in enabled namespaces.\n';
  return renderColumns(header, lines);
}

export function renderStatusJson(report: StatusReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
