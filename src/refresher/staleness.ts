// The staleness rule, shared by the refresher (what to refresh), `status` (what to report) and the refresher's
// verification (a refresh counts only if the Secret is no longer stale afterwards).
import { parseRfc3339 } from '../common/time.js';

export { DEFAULT_STALE_THRESHOLD_MS } from '../common/token-life.js';

export type Freshness =
  | { readonly stale: true; readonly reason: 'missing' | 'unparseable' }
  | { readonly stale: true; readonly reason: 'expiring' | 'expired'; readonly expiresAt: Date }
  | { readonly stale: false; readonly reason: 'fresh'; readonly expiresAt: Date };

/** A Secret is stale when its expiry annotation is missing, unparseable, or within `thresholdMs` of `now`. */
export function judgeFreshness(expiresAtAnnotation: string | undefined, now: Date, thresholdMs: number): Freshness {
  if (expiresAtAnnotation === undefined || expiresAtAnnotation.trim() === '') return { stale: true, reason: 'missing' };
  const expiresAt = parseRfc3339(expiresAtAnnotation);
  if (expiresAt === undefined) return { stale: true, reason: 'unparseable' };
  const remaining = expiresAt.getTime() - now.getTime();
  if (remaining <= 0) return { stale: true, reason: 'expired', expiresAt };
  if (remaining <= thresholdMs) return { stale: true, reason: 'expiring', expiresAt };
  return { stale: false, reason: 'fresh', expiresAt };
}
