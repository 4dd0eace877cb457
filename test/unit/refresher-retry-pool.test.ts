import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapBounded } from '../../src/common/pool.js';
import { backoffDelay, withRetry, type RetryPolicy } from '../../src/refresher/retry.js';

const POLICY: RetryPolicy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 300 };

describe('backoffDelay', () => {
  it('doubles from the base, caps, and jitters ±50 %', () => {
    const middle = (): number => 0.5;
    assert.deepEqual([1, 2, 3, 4].map((retry) => backoffDelay(POLICY, retry, middle)), [100, 200, 300, 300]);
    assert.equal(backoffDelay(POLICY, 1, () => 0), 50);
    assert.equal(backoffDelay(POLICY, 1, () => 0.999), 150);
  });
});

describe('withRetry', () => {
  class Retryable extends Error {}
  const isRetryable = (error: unknown): boolean => error instanceof Retryable;

  it('retries retryable failures with backoff until success', async () => {
    const sleeps: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls += 1;
        if (calls < 3) throw new Retryable('conflict');
        return 'ok';
      },
      { policy: POLICY, isRetryable, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
    );
    assert.equal(result, 'ok');
    assert.equal(calls, 3);
    assert.deepEqual(sleeps, [100, 200]);
  });

  it('gives up after the last attempt with the last error', async () => {
    let calls = 0;
    await assert.rejects(
      withRetry(
        async (attempt) => {
          calls += 1;
          throw new Retryable(`attempt ${attempt}`);
        },
        { policy: POLICY, isRetryable, sleep: async () => undefined },
      ),
      /attempt 4/,
    );
    assert.equal(calls, 4);
  });

  it('does not retry what is not retryable', async () => {
    let calls = 0;
    await assert.rejects(
      withRetry(
        async () => {
          calls += 1;
          throw new Error('forbidden');
        },
        { policy: POLICY, isRetryable, sleep: async () => undefined },
      ),
      /forbidden/,
    );
    assert.equal(calls, 1);
  });
});

describe('mapBounded', () => {
  it('never runs more than the limit at once, finishes every item, keeps order', async () => {
    let running = 0;
    let peak = 0;
    const items = Array.from({ length: 25 }, (_, index) => index);
    const results = await mapBounded(items, 4, async (item) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, (item * 7) % 5));
      running -= 1;
      return item * 2;
    });
    assert.equal(peak, 4);
    assert.deepEqual(results, items.map((item) => item * 2));
  });

  it('handles no items and a limit above the item count', async () => {
    assert.deepEqual(await mapBounded([], 8, async () => 1), []);
    assert.deepEqual(await mapBounded(['a'], 8, async (item) => item.toUpperCase()), ['A']);
  });
});
