// The rules both programs must agree on. The webhook hands out a (12 h) token only while it keeps at least
// MIN_TOKEN_LIFE_MS of life, and the refresher's staleness threshold must stay below it, or a refreshed Secret would
// still look stale. The webhook also knows the refresher's threshold: during an ECR outage it still serves a held
// token that has more life than that (a Secret written with it is not stale yet).
export const MIN_TOKEN_LIFE_MS = 11 * 3_600_000;

export const DEFAULT_STALE_THRESHOLD_MS = 6 * 3_600_000;
