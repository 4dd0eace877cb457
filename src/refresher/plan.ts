// Pure: from the managed Secrets the API server listed, the enabled namespaces and a clock, decide which Secrets
// to refresh (and why), which are fresh and left unwritten, and which are skipped with a reason.
import { ARGOCD_SECRET_TYPE_LABEL, DOCKER_CONFIG_JSON_TYPE, EXPIRES_AT_ANNOTATION, OPAQUE_TYPE, PROTECTED_NAMESPACES } from '../common/names.js';
import { fillableShape } from '../common/secret-shape.js';
import { judgeFreshness } from './staleness.js';
import { formatDuration } from '../common/time.js';

/** The type of a Secret known only to be neither kubernetes.io/dockerconfigjson nor Opaque (listed by type field selectors). */
export const OTHER_SECRET_TYPE = `not ${DOCKER_CONFIG_JSON_TYPE} or ${OPAQUE_TYPE}`;

/** What the refresher keeps of a listed Secret: never its data. */
export interface ManagedSecretInfo {
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string | undefined;
  readonly resourceVersion?: string | undefined;
  /**
   * `undefined` means the API server's default, Opaque; OTHER_SECRET_TYPE: not a dockerconfigjson Secret, the exact
   * type unknown (a metadata-only list does not carry it).
   */
  readonly type: string | undefined;
  readonly annotations: Readonly<Record<string, string>>;
  /** Its labels: an Opaque Secret is fillable when it is an Argo CD repository Secret (src/common/secret-shape.ts). */
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /** `immutable: true`: the webhook refuses to fill it, and it can never be refreshed. */
  readonly immutable?: boolean | undefined;
}

export type RefreshReason = 'missing' | 'unparseable' | 'expiring' | 'expired' | 'forced';

export interface RefreshItem {
  readonly secret: ManagedSecretInfo;
  readonly reason: RefreshReason;
  readonly expiresAt?: Date | undefined;
}

export interface FreshItem {
  readonly secret: ManagedSecretInfo;
  readonly expiresAt: Date;
}

export interface SkippedItem {
  readonly secret: ManagedSecretInfo;
  readonly reason: string;
}

export interface RefreshPlan {
  /** Stale Secrets (or every Secret with `force`), in namespace/name order. */
  readonly refresh: readonly RefreshItem[];
  /** Fresh Secrets: not written at all. */
  readonly fresh: readonly FreshItem[];
  /** Managed Secrets the refresher cannot refresh, each with the reason users see. */
  readonly skipped: readonly SkippedItem[];
  /** Labeled Secrets outside the enabled namespaces (or in kube-system / kube-public): not ours to touch. */
  readonly ignored: number;
}

export interface PlanInput {
  readonly secrets: readonly ManagedSecretInfo[];
  readonly enabledNamespaces: ReadonlySet<string>;
  readonly now: Date;
  readonly thresholdMs: number;
  readonly force: boolean;
}

export function secretKey(secret: { readonly namespace: string; readonly name: string }): string {
  return `${secret.namespace}/${secret.name}`;
}

function byKey(a: { secret: ManagedSecretInfo }, b: { secret: ManagedSecretInfo }): number {
  const left = secretKey(a.secret);
  const right = secretKey(b.secret);
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Labeled Secrets count only in enabled namespaces, and never in kube-system / kube-public. */
export function isInScope(secret: ManagedSecretInfo, enabledNamespaces: ReadonlySet<string>): boolean {
  return !PROTECTED_NAMESPACES.has(secret.namespace) && enabledNamespaces.has(secret.namespace);
}

export const IMMUTABLE_REASON =
  'immutable: true: its credentials can never be refreshed and the webhook refuses it (ECR_ANYWHERE_IMMUTABLE_SECRET); delete it and recreate it without immutable';

export function planRefresh(input: PlanInput): RefreshPlan {
  const refresh: RefreshItem[] = [];
  const fresh: FreshItem[] = [];
  const skipped: SkippedItem[] = [];
  let ignored = 0;
  for (const secret of input.secrets) {
    if (!isInScope(secret, input.enabledNamespaces)) {
      ignored += 1;
      continue;
    }
    if (fillableShape(secret.type, secret.labels) === undefined) {
      const type = secret.type ?? OPAQUE_TYPE;
      skipped.push({
        secret,
        reason:
          `${type === OTHER_SECRET_TYPE ? 'its type' : `type ${type}`} is not ${DOCKER_CONFIG_JSON_TYPE} (nor ${OPAQUE_TYPE} with ` +
          `${ARGOCD_SECRET_TYPE_LABEL}=repository or repo-creds): the webhook refuses to fill it (remove the label or recreate the Secret with that type)`,
      });
      continue;
    }
    if (secret.immutable === true) {
      skipped.push({ secret, reason: IMMUTABLE_REASON });
      continue;
    }
    const verdict = judgeFreshness(secret.annotations[EXPIRES_AT_ANNOTATION], input.now, input.thresholdMs);
    const expiresAt = 'expiresAt' in verdict ? verdict.expiresAt : undefined;
    if (verdict.stale) refresh.push({ secret, reason: verdict.reason, expiresAt });
    else if (input.force) refresh.push({ secret, reason: 'forced', expiresAt });
    else fresh.push({ secret, expiresAt: verdict.expiresAt });
  }
  return { refresh: refresh.sort(byKey), fresh: fresh.sort(byKey), skipped: skipped.sort(byKey), ignored };
}

/** Why a Secret is being refreshed, in words for logs and Events. */
export function describeRefreshReason(item: RefreshItem, now: Date): string {
  const raw = item.secret.annotations[EXPIRES_AT_ANNOTATION];
  switch (item.reason) {
    case 'missing':
      return `${EXPIRES_AT_ANNOTATION} is missing`;
    case 'unparseable':
      return `${EXPIRES_AT_ANNOTATION} ${JSON.stringify(raw?.slice(0, 64))} is not an RFC 3339 time`;
    case 'expired':
      return `credentials expired at ${raw ?? ''}`;
    case 'expiring':
      return `credentials expire at ${raw ?? ''}, in ${formatDuration((item.expiresAt?.getTime() ?? now.getTime()) - now.getTime())}`;
    case 'forced':
      return 'refresh forced (--force)';
  }
}
