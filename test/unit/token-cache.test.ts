import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EcrAnywhereError, ErrorCodes } from '../../src/common/errors.js';
import type { EcrToken } from '../../src/ecr/token.js';
import { TokenCache } from '../../src/ecr/token-cache.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const outage = (): EcrAnywhereError => new EcrAnywhereError(ErrorCodes.ECR_UNAVAILABLE, 'ECR GetAuthorizationToken in region us-east-1 failed (NetworkingError: connect ECONNREFUSED)');

/** A token source that counts calls and resolves (or fails) when told to, so concurrency is observable. */
function controlledSource(clockMs: () => number, lifetimeMs = 12 * HOUR) {
  const calls: string[] = [];
  const waiting: Array<{ ok: () => void; fail: (error: Error) => void }> = [];
  const fetch = (region: string): Promise<EcrToken> => {
    const sequence = calls.push(region);
    return new Promise((resolve, reject) =>
      waiting.push({
        ok: () => resolve({ region, password: `pw-${sequence}`, proxyHost: 'h', expiresAt: new Date(clockMs() + lifetimeMs), fetchedAt: new Date(clockMs()) }),
        fail: reject,
      }),
    );
  };
  return {
    calls,
    fetch,
    releaseAll: () => waiting.splice(0).forEach((call) => call.ok()),
    failAll: (error: Error) => waiting.splice(0).forEach((call) => call.fail(error)),
    pending: () => waiting.length,
  };
}

function setup(options: { lifetimeMs?: number; staleThresholdMs?: number } = {}) {
  const clock = { now: Date.parse('2026-11-21T00:00:00Z') };
  const source = controlledSource(() => clock.now, options.lifetimeMs);
  const cache = new TokenCache(source.fetch, () => new Date(clock.now), options.staleThresholdMs === undefined ? {} : { staleThresholdMs: options.staleThresholdMs });
  const warm = async (): Promise<void> => {
    const first = cache.get('us-east-1');
    source.releaseAll();
    await first;
  };
  return { clock, source, cache, warm };
}

describe('TokenCache', () => {
  it('makes one call for a cold burst of 50 concurrent requests (single-flight), and says they waited', async () => {
    const { source, cache } = setup();
    const burst = Array.from({ length: 50 }, () => cache.get('us-east-1'));
    source.releaseAll();
    const leases = await Promise.all(burst);
    assert.equal(source.calls.length, 1);
    assert.ok(leases.every((lease) => lease.token.password === 'pw-1' && lease.waited && lease.fetchFailure === undefined));
    const warm = await cache.get('us-east-1');
    assert.deepEqual([warm.token.password, warm.waited], ['pw-1', false], 'a warm request waits on nothing');
    assert.equal(source.calls.length, 1);
  });

  it('keeps one token per region', async () => {
    const { source, cache } = setup();
    const pending = [cache.get('us-east-1'), cache.get('eu-west-1'), cache.get('us-east-1')];
    source.releaseAll();
    const [east, west, eastAgain] = await Promise.all(pending);
    assert.deepEqual(source.calls, ['us-east-1', 'eu-west-1']);
    assert.notEqual(east!.token.password, west!.token.password);
    assert.equal(east!.token, eastAgain!.token);
  });

  it('renews a 12 h token in the background 30 min after fetching it, and never makes a write wait', async () => {
    const { clock, source, cache, warm } = setup();
    await warm();
    clock.now += 29 * MINUTE;
    assert.equal((await cache.get('us-east-1')).token.password, 'pw-1');
    assert.equal(source.calls.length, 1, 'not due yet');
    clock.now += 2 * MINUTE; // 11 h 29 m left: past the renew-ahead point, still above the 11 h hand-out rule
    const during = await cache.get('us-east-1');
    assert.deepEqual([during.token.password, during.waited], ['pw-1', false], 'served at once while the renewal runs');
    assert.equal(source.calls.length, 2, 'the renewal started');
    source.releaseAll();
    await new Promise((resolve) => setImmediate(resolve));
    const after = await cache.get('us-east-1');
    assert.deepEqual([after.token.password, after.waited], ['pw-2', false]);
  });

  it('renewDue() renews held tokens past their renew-ahead point without any admission', async () => {
    const { clock, source, cache, warm } = setup();
    await warm();
    await cache.renewDue();
    assert.equal(source.calls.length, 1, 'a young token is left alone');
    clock.now += 40 * MINUTE;
    const renewing = cache.renewDue();
    source.releaseAll();
    await renewing;
    assert.equal(source.calls.length, 2);
    assert.equal((await cache.get('us-east-1')).token.password, 'pw-2');
  });

  it('hands a 12 h token out only while it keeps 11 h; below that a write waits for a new one', async () => {
    const { clock, source, cache, warm } = setup();
    await warm();
    clock.now += 61 * MINUTE; // 10 h 59 m left
    const renewed = cache.get('us-east-1');
    assert.equal(source.pending(), 1);
    source.releaseAll();
    const lease = await renewed;
    assert.deepEqual([lease.token.password, lease.waited], ['pw-2', true]);
  });

  it('with a refresh threshold close to the token life, hands out only tokens the refresher will call fresh', async () => {
    // Tokens of 11 h 0 m 30 s and a threshold of 10 h 59 m 45 s (the node e2e's set-up): 11/12 of the life would be
    // 10 h 5 m, under the threshold, and every Secret refreshed with it would still look stale.
    const { clock, source, cache, warm } = setup({ lifetimeMs: 11 * HOUR + 30_000, staleThresholdMs: 11 * HOUR - 15_000 });
    await warm();
    clock.now += 10_000; // 11 h 0 m 20 s left: above threshold + half the margin (11 h 0 m 7.5 s)
    assert.equal((await cache.get('us-east-1')).token.password, 'pw-1');
    clock.now += 15_000; // 11 h 0 m 5 s left: a Secret written now would be stale within seconds
    const renewed = cache.get('us-east-1');
    assert.equal(source.pending(), 1, 'the held token is not handed out');
    source.releaseAll();
    assert.deepEqual([(await renewed).token.password, (await renewed).waited], ['pw-2', true]);
  });

  it('serves the held token with the failure named when ECR fails and the token has more life than the threshold', async () => {
    const { clock, source, cache, warm } = setup();
    await warm();
    clock.now += 2 * HOUR; // 10 h left: below the hand-out rule, above the 6 h threshold
    const pending = cache.get('us-east-1');
    source.failAll(outage());
    const lease = await pending;
    assert.equal(lease.token.password, 'pw-1');
    assert.equal(lease.fetchFailure?.code, 'ECR_ANYWHERE_ECR_UNAVAILABLE');
    const again = await cache.get('us-east-1');
    assert.equal(again.fetchFailure?.code, 'ECR_ANYWHERE_ECR_UNAVAILABLE');
    assert.equal(source.calls.length, 2, 'right after a failure ECR is not asked again: writes do not wait out another timeout');
  });

  it('refuses once the held token is within the threshold (no usable token), and asks ECR on every try', async () => {
    const { clock, source, cache, warm } = setup();
    await warm();
    clock.now += 6 * HOUR + MINUTE; // 5 h 59 m left
    const pending = cache.get('us-east-1');
    source.failAll(outage());
    await assert.rejects(pending, /ECONNREFUSED/);
    const retry = cache.get('us-east-1');
    assert.equal(source.pending(), 1, 'a refusal does not stop the next write from trying ECR');
    source.releaseAll();
    assert.equal((await retry).token.password, 'pw-3');
  });

  it('refuses with no token held at all', async () => {
    const { source, cache } = setup();
    const pending = cache.get('us-east-1');
    source.failAll(outage());
    await assert.rejects(pending, (error: EcrAnywhereError) => error.code === 'ECR_ANYWHERE_ECR_UNAVAILABLE');
  });

  it('adapts to 1 h tokens (short role sessions): handed out while they keep 55 min, renewed ahead, served in an outage for 30 min', async () => {
    const { clock, source, cache, warm } = setup({ lifetimeMs: HOUR });
    await warm();
    clock.now += 4 * MINUTE;
    assert.deepEqual([(await cache.get('us-east-1')).waited, source.calls.length], [false, 2], 'renewal ahead at 57.5 min left');
    source.failAll(outage());
    await new Promise((resolve) => setImmediate(resolve));
    clock.now += 20 * MINUTE; // 36 min left: below the hand-out rule, above half its life
    const pending = cache.get('us-east-1');
    source.failAll(outage());
    const lease = await pending;
    assert.deepEqual([lease.token.password, lease.fetchFailure?.code], ['pw-1', 'ECR_ANYWHERE_ECR_UNAVAILABLE']);
    clock.now += 7 * MINUTE; // 29 min left: no longer usable
    const refused = cache.get('us-east-1');
    source.failAll(outage());
    await assert.rejects(refused);
  });
});
