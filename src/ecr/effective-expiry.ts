// Pure: a fetched token's expiry on our clock. ECR's `expiresAt` and the credentials' expiration are AWS times; the
// answer's Date header says what AWS's clock read when it answered, so their distance from it is the life left, and
// adding that life to our own clock at receipt removes any skew between the two clocks. The earlier of the two
// expiries wins: a token stops working when the role session that fetched it ends (kubernetes/kubernetes#69141).

/** Skew below this is network latency and the header's one-second resolution, not a wrong clock. */
export const VISIBLE_SKEW_MS = 60_000;

export interface FetchTimes {
  /** Our clock when the answer arrived. */
  readonly receivedAt: Date;
  /** The answer's Date header (AWS's clock), when it had a parseable one. */
  readonly serverDate: Date | undefined;
  readonly ecrExpiresAt: Date;
  /** Expiration of the credentials that signed the call; undefined for long-term keys. */
  readonly credentialsExpireAt: Date | undefined;
}

export interface EffectiveExpiry {
  readonly expiresAt: Date;
  /** Set when the credentials end before ECR's expiry. */
  readonly credentialsExpireAt: Date | undefined;
  /** AWS's clock minus ours (ms); 0 without a Date header. */
  readonly skewMs: number;
}

export function effectiveExpiry(times: FetchTimes): EffectiveExpiry {
  const skewMs = times.serverDate === undefined ? 0 : times.serverDate.getTime() - times.receivedAt.getTime();
  // Below a visible skew the difference is latency and the header's whole seconds: correcting for it would only
  // move expiries by a fraction of a second, sometimes later than the truth.
  const correctionMs = Math.abs(skewMs) < VISIBLE_SKEW_MS ? 0 : skewMs;
  const ecr = times.ecrExpiresAt.getTime() - correctionMs;
  const credentials = times.credentialsExpireAt === undefined ? undefined : times.credentialsExpireAt.getTime() - correctionMs;
  if (credentials !== undefined && credentials < ecr) {
    return { expiresAt: new Date(credentials), credentialsExpireAt: new Date(credentials), skewMs };
  }
  return { expiresAt: new Date(ecr), credentialsExpireAt: undefined, skewMs };
}

/** A Date header's value, or undefined when absent or unparseable. */
export function parseHttpDate(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : new Date(parsed);
}
