// Tokens per region for one set of credentials (one cache per identity), shared by every Secret and account in the
// region. Single-flight: a cold burst of admissions makes one ECR call. A token is handed out only while it keeps
// at least `minLifeMs` of life, so a freshly written Secret is never born close to expiry.
import type { Clock } from '../common/time.js';
import { MIN_TOKEN_LIFE_MS } from '../common/token-life.js';
import type { EcrToken, FetchEcrToken } from './token.js';


export class TokenCache {
  private readonly tokens = new Map<string, EcrToken>();
  private readonly inFlight = new Map<string, Promise<EcrToken>>();

  constructor(
    private readonly fetchToken: FetchEcrToken,
    private readonly clock: Clock,
    private readonly minLifeMs: number = MIN_TOKEN_LIFE_MS,
  ) {}

  /** The region's token if one is held with enough life left: the warm path, with no promise to wait on. */
  cached(region: string): EcrToken | undefined {
    const token = this.tokens.get(region);
    return token !== undefined && this.hasEnoughLife(token) ? token : undefined;
  }

  get(region: string): Promise<EcrToken> {
    const cached = this.cached(region);
    if (cached) return Promise.resolve(cached);
    const pending = this.inFlight.get(region);
    if (pending) return pending;
    const fetching = this.fetchToken(region)
      .then((token) => {
        if (this.hasEnoughLife(token)) this.tokens.set(region, token);
        return token;
      })
      .finally(() => this.inFlight.delete(region));
    this.inFlight.set(region, fetching);
    return fetching;
  }

  /** Tokens currently held, for the time-to-expiry metric. */
  held(): readonly EcrToken[] {
    return [...this.tokens.values()];
  }

  private hasEnoughLife(token: EcrToken): boolean {
    return token.expiresAt.getTime() - this.clock().getTime() >= this.minLifeMs;
  }
}
