// Tokens per region for one set of credentials, shared by every Secret and account in the region. The tenancy
// work creates one cache per (role, region) from this shape, so it stays small:
//
//   new TokenCache(fetchToken, clock, { staleThresholdMs? })
//   get(region)   → Promise<TokenLease>: { token, fetchFailure?, waited }
//   renewDue()    → Promise<void>: renews, in the background, every held token past its renew-ahead point
//   held()        → the tokens held, for the time-to-expiry metric
//
// Rules (src/ecr/token-life-rules.ts, all relative to the life a token had when fetched, so short role sessions
// and skewed clocks are handled): a held token is handed out while it keeps ~11/12 of its fetched life (11 h of a
// 12 h token); a renewal starts in the background halfway to that point, so after warm-up no write waits on ECR;
// when a fetch fails, a held token that still has more life than the refresher's staleness threshold is served
// with `fetchFailure` set (the caller warns and counts); only with no such token does `get` reject. Single-flight:
// a cold burst makes one ECR call. After a failure with a usable held token, ECR is not asked again for
// `retryAfterFailureMs`, so an outage does not make every write wait for a timeout.
import type { EcrAnywhereError } from '../common/errors.js';
import type { Clock } from '../common/time.js';
import { DEFAULT_STALE_THRESHOLD_MS } from '../common/token-life.js';
import type { EcrToken, FetchEcrToken } from './token.js';
import { fallbackLifeMs, handOutLifeMs, remainingMs, renewAheadLifeMs } from './token-life-rules.js';

export interface TokenLease {
  readonly token: EcrToken;
  /** Set when fetching a new token failed and this held token (still usable) is served instead. */
  readonly fetchFailure?: EcrAnywhereError;
  /** True when this call waited on an ECR call. */
  readonly waited: boolean;
}

export interface TokenCacheOptions {
  /** The refresher's staleness threshold: a held token with more life than this may stand in during an outage. */
  readonly staleThresholdMs?: number;
  readonly retryAfterFailureMs?: number;
}

interface Held {
  readonly token: EcrToken;
  /** Pre-built, so the warm path allocates nothing. */
  readonly lease: TokenLease;
}

export class TokenCache {
  private readonly tokens = new Map<string, Held>();
  private readonly inFlight = new Map<string, Promise<EcrToken>>();
  private readonly failures = new Map<string, { readonly error: EcrAnywhereError; readonly atMs: number }>();
  private readonly staleThresholdMs: number;
  private readonly retryAfterFailureMs: number;

  constructor(
    private readonly fetchToken: FetchEcrToken,
    private readonly clock: Clock,
    options: TokenCacheOptions = {},
  ) {
    this.staleThresholdMs = options.staleThresholdMs ?? DEFAULT_STALE_THRESHOLD_MS;
    this.retryAfterFailureMs = options.retryAfterFailureMs ?? 5_000;
  }

  get(region: string): Promise<TokenLease> {
    const now = this.clock();
    const held = this.tokens.get(region);
    if (held !== undefined && remainingMs(held.token, now) >= handOutLifeMs(held.token, this.staleThresholdMs)) {
      if (remainingMs(held.token, now) < renewAheadLifeMs(held.token, this.staleThresholdMs)) this.renewInBackground(region);
      return Promise.resolve(held.lease);
    }
    const recent = this.failures.get(region);
    if (recent !== undefined && now.getTime() - recent.atMs < this.retryAfterFailureMs) {
      const fallback = this.fallback(region, now, recent.error);
      if (fallback !== undefined) return Promise.resolve(fallback);
    }
    return this.fetch(region).then(
      (token) => ({ token, waited: true }),
      (error: EcrAnywhereError) => {
        const fallback = this.fallback(region, this.clock(), error);
        if (fallback === undefined) throw error;
        return { ...fallback, waited: true };
      },
    );
  }

  /** Starts a renewal for every held token past its renew-ahead point; resolves when they have settled. */
  async renewDue(): Promise<void> {
    const now = this.clock();
    const due = [...this.tokens].filter(([, held]) => remainingMs(held.token, now) < renewAheadLifeMs(held.token, this.staleThresholdMs));
    await Promise.allSettled(due.map(([region]) => this.fetch(region)));
  }

  /** Tokens currently held, for the time-to-expiry metric. */
  held(): readonly EcrToken[] {
    return [...this.tokens.values()].map((held) => held.token);
  }

  private renewInBackground(region: string): void {
    if (this.inFlight.has(region)) return;
    const recent = this.failures.get(region);
    if (recent !== undefined && this.clock().getTime() - recent.atMs < this.retryAfterFailureMs) return;
    this.fetch(region).catch(() => undefined); // the failure is remembered; the held token keeps serving
  }

  private fallback(region: string, now: Date, error: EcrAnywhereError): TokenLease | undefined {
    const held = this.tokens.get(region);
    if (held === undefined || remainingMs(held.token, now) <= fallbackLifeMs(held.token, this.staleThresholdMs)) return undefined;
    return { token: held.token, fetchFailure: error, waited: false };
  }

  private fetch(region: string): Promise<EcrToken> {
    const pending = this.inFlight.get(region);
    if (pending) return pending;
    const fetching = this.fetchToken(region)
      .then(
        (token) => {
          this.tokens.set(region, { token, lease: { token, waited: false } });
          this.failures.delete(region);
          return token;
        },
        (error: EcrAnywhereError) => {
          this.failures.set(region, { error, atMs: this.clock().getTime() });
          throw error;
        },
      )
      .finally(() => this.inFlight.delete(region));
    this.inFlight.set(region, fetching);
    return fetching;
  }
}
