// Pure: a refresh counts only if the object the API server stored (after the webhook ran) is no longer stale.
import { EXPIRES_AT_ANNOTATION, WEBHOOK_NAME } from '../common/names.js';
import { judgeFreshness } from './staleness.js';
import type { ManagedSecretInfo } from './plan.js';
import { judgeShortLivedRefresh } from './short-lived.js';

/** What a run knows when credentials may be short-lived: how soon the next run comes. */
export interface RunTiming {
  readonly intervalMs: number;
}

export type Verification = { readonly ok: true; readonly expiresAt: string } | { readonly ok: false; readonly error: string };

/** The refresh counts only if the object the API server stored is no longer stale. */
export function verifyRefreshed(stored: ManagedSecretInfo, now: Date, thresholdMs: number, timing?: RunTiming): Verification {
  const raw = stored.annotations[EXPIRES_AT_ANNOTATION];
  const verdict = judgeFreshness(raw, now, thresholdMs);
  if (!verdict.stale) return { ok: true, expiresAt: raw ?? '' };
  const shortLived = timing && verdict.reason === 'expiring' ? judgeShortLivedRefresh(stored, now, thresholdMs, timing.intervalMs) : undefined;
  if (shortLived?.ok) return { ok: true, expiresAt: raw ?? '' };
  if (shortLived && shortLived.why.startsWith('it expires')) {
    return { ok: false, error: `the webhook refilled it with short-lived credentials, but ${shortLived.why}: run the refresher more often or get longer role sessions` };
  }
  const seen = raw === undefined ? `${EXPIRES_AT_ANNOTATION} is missing` : `${EXPIRES_AT_ANNOTATION} is ${JSON.stringify(raw.slice(0, 64))} (${verdict.reason})`;
  return {
    ok: false,
    error:
      `still stale after the refresh: ${seen}. The webhook did not refill it: check that the MutatingWebhookConfiguration ` +
      `with webhook ${WEBHOOK_NAME} exists and that its namespaceSelector and objectSelector match this Secret`,
  };
}

