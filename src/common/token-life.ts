// The one rule both programs must agree on: the webhook hands out a token only while it keeps at least this much
// life, and the refresher's staleness threshold must stay below it, or a refreshed Secret would still look stale.
export const MIN_TOKEN_LIFE_MS = 11 * 3_600_000;
