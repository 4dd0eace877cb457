// What the webhook needs from ECR, independent of the SDK.

export interface EcrToken {
  readonly region: string;
  /** The registry password (the part after `AWS:` in the decoded authorizationToken). Secret material. */
  readonly password: string;
  /** Host of the proxyEndpoint: the default registry of the calling account in this region. */
  readonly proxyHost: string;
  readonly expiresAt: Date;
}

/** Fetches one token for a region; rejects with an EcrAnywhereError carrying a clear, secret-free message. */
export type FetchEcrToken = (region: string) => Promise<EcrToken>;
