// Pure: when the cache hands a token out, renews it ahead, and may still serve it while ECR fails. Every rule is
// relative to the life the token had when it was fetched, so it adapts to short role sessions: a 12 h token is handed
// out while it keeps 11 h (the rule both programs agree on), a 1 h token (its session ends first) while it keeps 55 min.
import { MIN_TOKEN_LIFE_MS } from '../common/token-life.js';
import { lifeAtFetchMs, type EcrToken } from './token.js';

/** Fraction of its fetched life a token must keep to be handed out: 11 h of a 12 h token. */
const HAND_OUT_FRACTION = 11 / 12;

/** Most a hand-out keeps above the refresher's threshold (a verify runs seconds after the write it checks). */
const ABOVE_THRESHOLD_MS = 5 * 60_000;

/**
 * Least remaining life at which the token is handed out to a new write. Never at or under the refresher's staleness
 * threshold while the token's fetched life allows more: a Secret refreshed with it would still look stale, and the
 * refresher would report a false failure (a threshold set close to 12 h, as the node e2e does, meets this).
 */
export function handOutLifeMs(token: EcrToken, staleThresholdMs: number): number {
  const life = lifeAtFetchMs(token);
  const byFraction = Math.min(MIN_TOKEN_LIFE_MS, Math.floor(life * HAND_OUT_FRACTION));
  if (life <= staleThresholdMs) return byFraction; // credentials too short for the threshold: warned at fetch
  return Math.max(byFraction, staleThresholdMs + Math.min(ABOVE_THRESHOLD_MS, Math.floor((life - staleThresholdMs) / 2)));
}

/** Remaining life under which a background renewal starts: halfway between fetch and the hand-out limit. */
export function renewAheadLifeMs(token: EcrToken, staleThresholdMs: number): number {
  const handOut = handOutLifeMs(token, staleThresholdMs);
  return handOut + Math.floor((lifeAtFetchMs(token) - handOut) / 2);
}

/**
 * Least remaining life at which a held token is still served when fetching a new one fails: the refresher's
 * staleness threshold (a Secret written with it is not stale yet). When the credentials cannot give tokens that
 * long at all, half the token's fetched life.
 */
export function fallbackLifeMs(token: EcrToken, staleThresholdMs: number): number {
  const life = lifeAtFetchMs(token);
  return life > staleThresholdMs ? staleThresholdMs : Math.floor(life / 2);
}

export function remainingMs(token: EcrToken, now: Date): number {
  return token.expiresAt.getTime() - now.getTime();
}
