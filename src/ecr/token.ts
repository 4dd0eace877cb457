// What the webhook needs from ECR, independent of the SDK.

export interface EcrToken {
  /** The token scope it was fetched for: a region, or `public.ecr.aws` for ECR Public's token (fetched in us-east-1). */
  readonly region: string;
  /** The registry password (the part after `AWS:` in the decoded authorizationToken). Secret material. */
  readonly password: string;
  /** Host of the proxyEndpoint: the default registry of the calling account in this region (`public.ecr.aws` for ECR Public). */
  readonly proxyHost: string;
  /**
   * The effective expiry, on our clock: the earlier of ECR's `expiresAt` and the expiry of the credentials that
   * fetched the token (a token can stop working when its role session ends, kubernetes/kubernetes#69141). Both are
   * judged relative to when the token was fetched (AWS's Date header), so a skewed pod clock does not shorten it.
   */
  readonly expiresAt: Date;
  /** When we received the token, on our clock: `expiresAt - fetchedAt` is the life it had when fetched. */
  readonly fetchedAt: Date;
  /** Set when the credentials, not ECR, cut the token's life short: when those credentials expire (our clock). */
  readonly credentialsExpireAt?: Date;
}

/** Fetches one token for a token scope (a region, or `public.ecr.aws`); rejects with an EcrAnywhereError carrying a clear, secret-free message. */
export type FetchEcrToken = (region: string) => Promise<EcrToken>;

/** The life a token had when it was fetched. */
export function lifeAtFetchMs(token: EcrToken): number {
  return token.expiresAt.getTime() - token.fetchedAt.getTime();
}
