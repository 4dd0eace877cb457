// Which token cache serves a request: the webhook's own identity, or a namespace's role. One TokenCache per
// identity, made on first use, each with its own ECR fetcher signing with that identity's credentials; so tokens
// are kept per (role, region) with the cache's single-flight, hand-out, renew-ahead and held-token rules unchanged.
import type { Clock } from '../common/time.js';
import { roleKey, type AssumableRole, type AwsCredentialIdentityProvider } from './role-credentials.js';
import { TokenCache, type TokenLease } from './token-cache.js';
import type { EcrToken, FetchEcrToken } from './token.js';

export interface TokenSourceOptions {
  readonly clock: Clock;
  /** The refresher's staleness threshold, for every cache's held-token fallback. */
  readonly staleThresholdMs?: number;
  /** An ECR fetcher signing with `credentials` (undefined: the webhook's own identity). */
  readonly fetcherFor: (credentials: AwsCredentialIdentityProvider | undefined) => FetchEcrToken;
  /** The credentials of a role, for its fetcher. */
  readonly roleCredentials: (role: AssumableRole) => AwsCredentialIdentityProvider;
}

export class TokenSource {
  private readonly own: TokenCache;
  private readonly ofRole = new Map<string, TokenCache>();

  constructor(private readonly options: TokenSourceOptions) {
    this.own = this.newCache(undefined);
  }

  /** A region's token for the role (or the webhook's own identity when there is none). */
  tokenFor(region: string, role: AssumableRole | undefined): Promise<TokenLease> {
    return this.cacheFor(role).get(region);
  }

  /** Renews, in the background, every held token of every identity past its renew-ahead point. */
  async renewDue(): Promise<void> {
    await Promise.all([this.own, ...this.ofRole.values()].map((cache) => cache.renewDue()));
  }

  private newCache(role: AssumableRole | undefined): TokenCache {
    const fetcher = this.options.fetcherFor(role === undefined ? undefined : this.options.roleCredentials(role));
    return new TokenCache(fetcher, this.options.clock, this.options.staleThresholdMs === undefined ? {} : { staleThresholdMs: this.options.staleThresholdMs });
  }

  /** Every token held, for the time-to-expiry metric. */
  held(): readonly EcrToken[] {
    return [this.own, ...this.ofRole.values()].flatMap((cache) => cache.held());
  }

  private cacheFor(role: AssumableRole | undefined): TokenCache {
    if (role === undefined) return this.own;
    const key = roleKey(role);
    let cache = this.ofRole.get(key);
    if (cache === undefined) {
      cache = this.newCache(role);
      this.ofRole.set(key, cache);
    }
    return cache;
  }
}
