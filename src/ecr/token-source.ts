// Which token cache serves a request: the webhook's own identity, or a namespace's role. One TokenCache per
// identity, made on first use, each with its own ECR fetcher signing with that identity's credentials; so tokens
// are kept per (role, region) with the cache's single-flight and minimum-life rules unchanged.
import type { Clock } from '../common/time.js';
import { roleKey, type AssumableRole, type AwsCredentialIdentityProvider } from './role-credentials.js';
import { TokenCache } from './token-cache.js';
import type { EcrToken, FetchEcrToken } from './token.js';

export interface TokenSourceOptions {
  readonly clock: Clock;
  /** An ECR fetcher signing with `credentials` (undefined: the webhook's own identity). */
  readonly fetcherFor: (credentials: AwsCredentialIdentityProvider | undefined) => FetchEcrToken;
  /** The credentials of a role, for its fetcher. */
  readonly roleCredentials: (role: AssumableRole) => AwsCredentialIdentityProvider;
}

export class TokenSource {
  private readonly own: TokenCache;
  private readonly ofRole = new Map<string, TokenCache>();

  constructor(private readonly options: TokenSourceOptions) {
    this.own = new TokenCache(options.fetcherFor(undefined), options.clock);
  }

  /** A region's token for the role (or the webhook's own identity when there is none). */
  tokenFor(region: string, role: AssumableRole | undefined): Promise<EcrToken> {
    return this.cacheFor(role).get(region);
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
      cache = new TokenCache(this.options.fetcherFor(this.options.roleCredentials(role)), this.options.clock);
      this.ofRole.set(key, cache);
    }
    return cache;
  }
}
