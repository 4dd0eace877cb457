// Pure: when the cache hands a token out, renews it ahead, and may still serve it while ECR fails. Every rule is
// relative to the life the token had when it was fetched, so it adapts to short role sessions: a 12 h token is handed
// out while it keeps 11 h (the rule both programs agree on), a 1 h token (its session ends first) while it keeps 55 min.
import { MIN_TOKEN_LIFE_MS } from '../common/token-life.js';
import { lifeAtFetchMs, type EcrToken } from './token.js';

/** Fraction of its fetched life a token must keep to be handed out: 11 h of a 12 h token. */
const HAND_OUT_FRACTION = 11 / 12;

/** Least remaining life at which the token is handed out to a new write. */
export function handOutLifeMs(token: EcrToken): number {
  return Math.min(MIN_TOKEN_LIFE_MS, Math.floor(lifeAtFetchMs(token) * HAND_OUT_FRACTION));
}

/** Remaining life under which a background renewal starts: halfway between fetch and the hand-out limit. */
export function renewAheadLifeMs(token: EcrToken): number {
  const handOut = handOutLifeMs(token);
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
