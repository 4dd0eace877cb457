// Retries an operation that failed for a reason worth retrying (conflict, throttling, server error, API server not
// reached) with capped exponential backoff and jitter. The sleep is a parameter so tests do not wait.
export interface RetryPolicy {
  /** Total attempts, the first one included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 4, baseDelayMs: 250, maxDelayMs: 4_000 };

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Delay before retry number `retry` (1-based): base·2^(retry-1), capped, with ±50 % jitter from `random`. */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling * (0.5 + random()));
}

export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  options: {
    readonly policy: RetryPolicy;
    readonly isRetryable: (error: unknown) => boolean;
    readonly sleep?: Sleep;
    readonly random?: () => number;
  },
): Promise<T> {
  const sleep = options.sleep ?? realSleep;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= options.policy.attempts || !options.isRetryable(error)) throw error;
      await sleep(backoffDelay(options.policy, attempt, options.random));
    }
  }
}
