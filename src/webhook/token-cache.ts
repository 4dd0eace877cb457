// Tokens per (credentials, region), shared by every Secret and account in the region. Single-flight: a cold burst
// of admissions makes one ECR call. A token is handed out only while it keeps at least `minLifeMs` of life, so a
// freshly written Secret is never born close to expiry.
import type { Clock } from '../common/time.js';
import type { EcrToken, FetchEcrToken } from './ecr-token.js';

export const DEFAULT_MIN_TOKEN_LIFE_MS = 11 * 3_600_000;

export class TokenCache {
  private readonly tokens = new Map<string, EcrToken>();
  private readonly inFlight = new Map<string, Promise<EcrToken>>();

  constructor(
    private readonly fetchToken: FetchEcrToken,
    private readonly clock: Clock,
    private readonly minLifeMs: number = DEFAULT_MIN_TOKEN_LIFE_MS,
    /** Names the credentials the fetcher uses, so two identities never share a token. */
    private readonly identity: string = 'default',
  ) {}

  get(region: string): Promise<EcrToken> {
    const key = `${this.identity}\u0000${region}`;
    const cached = this.tokens.get(key);
    if (cached && this.hasEnoughLife(cached)) return Promise.resolve(cached);
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const fetching = this.fetchToken(region)
      .then((token) => {
        if (this.hasEnoughLife(token)) this.tokens.set(key, token);
        return token;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, fetching);
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
