// Pure: the Pods the kubelet cannot pull for (ErrImagePull / ImagePullBackOff) whose imagePullSecrets name a managed
// Secret, each next to that Secret's expiry — what `ecr-anywhere status` shows below its table, so "my Pod cannot
// pull" and "its Secret expired an hour ago" are read together.
import { formatDuration } from '../common/time.js';
import { renderColumns } from '../common/columns.js';
import type { SecretState, StatusReport } from './status.js';

export const PULL_FAILURE_REASONS: ReadonlySet<string> = new Set(['ErrImagePull', 'ImagePullBackOff']);

/** The few fields of a Pod this needs (a V1Pod fits). */
export interface PodShape {
  readonly metadata?: { readonly namespace?: string; readonly name?: string };
  readonly spec?: { readonly imagePullSecrets?: ReadonlyArray<{ readonly name?: string }> };
  readonly status?: {
    readonly initContainerStatuses?: ReadonlyArray<ContainerStatusShape>;
    readonly containerStatuses?: ReadonlyArray<ContainerStatusShape>;
  };
}

interface ContainerStatusShape {
  readonly name: string;
  readonly image?: string;
  readonly state?: { readonly waiting?: { readonly reason?: string; readonly message?: string } };
}

export interface PodPullFailure {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly image: string;
  /** The kubelet's reason: ErrImagePull or ImagePullBackOff. */
  readonly reason: string;
  /** The kubelet's message (the registry's answer, e.g. 401 Unauthorized); no credential is ever in it. */
  readonly message: string;
  readonly imagePullSecrets: readonly string[];
}

export interface PullFailureRow extends Omit<PodPullFailure, 'imagePullSecrets'> {
  /** The managed Secret the Pod names (one row per Secret when it names several). */
  readonly secret: string;
  readonly secretExpiresAt: string | null;
  readonly secretExpiresInMs: number | null;
  readonly secretState: SecretState;
}

/** Every container of `pod` waiting on a failed pull. */
export function pullFailuresOf(pod: PodShape): PodPullFailure[] {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const imagePullSecrets = (pod.spec?.imagePullSecrets ?? []).map((ref) => ref.name ?? '').filter((name) => name !== '');
  return statuses
    .filter((status) => PULL_FAILURE_REASONS.has(status.state?.waiting?.reason ?? ''))
    .map((status) => ({
      namespace: pod.metadata?.namespace ?? '',
      pod: pod.metadata?.name ?? '',
      container: status.name,
      image: status.image ?? '',
      reason: status.state?.waiting?.reason ?? '',
      message: status.state?.waiting?.message ?? '',
      imagePullSecrets,
    }));
}

/** Keeps the failures that name a Secret of the report (managed, in scope), one row per such Secret. */
export function matchPullFailures(failures: readonly PodPullFailure[], report: StatusReport): PullFailureRow[] {
  const secrets = new Map(report.secrets.map((row) => [`${row.namespace}/${row.name}`, row]));
  return failures
    .flatMap(({ imagePullSecrets, ...failure }) =>
      imagePullSecrets.flatMap((name) => {
        const secret = secrets.get(`${failure.namespace}/${name}`);
        return secret ? [{ ...failure, secret: name, secretExpiresAt: secret.expiresAt, secretExpiresInMs: secret.expiresInMs, secretState: secret.state }] : [];
      }),
    )
    .sort((a, b) => `${a.namespace}/${a.pod}/${a.container}`.localeCompare(`${b.namespace}/${b.pod}/${b.container}`));
}

const MESSAGE_WIDTH = 120;

function expiryCell(row: PullFailureRow): string {
  if (row.secretExpiresInMs === null) return `- (${row.secretState})`;
  return row.secretExpiresInMs <= 0 ? `expired ${formatDuration(-row.secretExpiresInMs)} ago` : formatDuration(row.secretExpiresInMs);
}

/** The table printed under the Secrets table; empty when no Pod fails to pull with a managed Secret. */
export function renderPullFailureTable(rows: readonly PullFailureRow[]): string {
  if (rows.length === 0) return '';
  const header = ['NAMESPACE', 'POD', 'CONTAINER', 'REASON', 'SECRET', 'SECRET EXPIRES IN', 'MESSAGE'];
  const lines = rows.map((row) => {
    const message = row.message.replace(/\s+/g, ' ');
    return [row.namespace, row.pod, row.container, row.reason, row.secret, expiryCell(row), message.length > MESSAGE_WIDTH ? `${message.slice(0, MESSAGE_WIDTH - 1)}…` : message];
  });
  return `\nPods failing to pull with a managed Secret:\n${renderColumns(header, lines)}`;
}

/** The JSON report with the pull failures added (`pullFailures`), or a note when Pods could not be listed. */
export function withPullFailures(report: StatusReport, rows: readonly PullFailureRow[] | { readonly unavailable: string }): StatusReport & { readonly pullFailures: readonly PullFailureRow[] | null; readonly pullFailuresUnavailable?: string } {
  return 'unavailable' in rows ? { ...report, pullFailures: null, pullFailuresUnavailable: rows.unavailable } : { ...report, pullFailures: rows };
}
