// Pure: Secrets whose credentials are short-lived by design. When the webhook's AWS credentials are role sessions
// shorter than the staleness threshold (STS's default is 1 h), no refresh can push `expires_at` beyond the threshold:
// each such Secret is stale on every run and refreshed on every run. A refresh then counts when the Secret stays valid
// past the next run; anything less is a failure, as always. A bypassed webhook is still caught in time: the Secret's
// life shrinks run by run, and the run before it would expire fails it. (Whether the webhook rewrote it during this
// run cannot be the test: a webhook still holding the token it wrote minutes ago rightly leaves the Secret alone.)
import { EXPIRES_AT_ANNOTATION, UPDATED_AT_ANNOTATION } from '../common/names.js';
import { formatDuration, parseRfc3339 } from '../common/time.js';
import type { ManagedSecretInfo } from './plan.js';

/** The life the credentials had when the webhook last wrote them (`expires_at` − `updated_at`); undefined if unknown. */
export function lifeAtWriteMs(secret: ManagedSecretInfo): number | undefined {
  const expiresAt = parseRfc3339(secret.annotations[EXPIRES_AT_ANNOTATION]);
  const updatedAt = parseRfc3339(secret.annotations[UPDATED_AT_ANNOTATION]);
  return expiresAt === undefined || updatedAt === undefined ? undefined : expiresAt.getTime() - updatedAt.getTime();
}

export type ShortLivedVerdict = { readonly ok: true } | { readonly ok: false; readonly why: string };

/** Whether a stored Secret that is still within the threshold is nonetheless a good refresh (see the header). */
export function judgeShortLivedRefresh(stored: ManagedSecretInfo, now: Date, thresholdMs: number, intervalMs: number): ShortLivedVerdict {
  const life = lifeAtWriteMs(stored);
  const expiresAt = parseRfc3339(stored.annotations[EXPIRES_AT_ANNOTATION]);
  if (life === undefined || expiresAt === undefined || life > thresholdMs) return { ok: false, why: 'not short-lived by design' };
  const left = expiresAt.getTime() - now.getTime();
  if (left <= intervalMs) {
    return { ok: false, why: `it expires in ${formatDuration(left)}, before the next run (REFRESH_INTERVAL ${formatDuration(intervalMs)})` };
  }
  return { ok: true };
}

/** The start-up warning when Secrets show the webhook's credentials cannot outlive the threshold; undefined if none. */
export function shortCredentialsNotice(secrets: readonly ManagedSecretInfo[], thresholdMs: number, intervalMs: number): string | undefined {
  const lives = secrets.map(lifeAtWriteMs).filter((life): life is number => life !== undefined && life > 0 && life <= thresholdMs);
  if (lives.length === 0) return undefined;
  const longest = Math.max(...lives);
  return (
    `${lives.length} managed Secret(s) were last written with credentials that lived only ${formatDuration(longest)} or less, not more ` +
    `than REFRESH_THRESHOLD (${formatDuration(thresholdMs)}): the webhook's AWS credentials are short role sessions. Such Secrets are ` +
    `refreshed on every run and pass when they stay valid past the next run (REFRESH_INTERVAL ${formatDuration(intervalMs)}); ` +
    `schedule runs more often than the session lasts. Fix: raise the IAM role's MaxSessionDuration to 12h and set ` +
    `AWS_ROLE_SESSION_DURATION=12h on the webhook (web identity) or duration_seconds = 43200 in its AWS config profile`
  );
}
