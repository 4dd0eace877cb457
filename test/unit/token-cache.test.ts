import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EcrToken } from '../../src/ecr/token.js';
import { TokenCache } from '../../src/ecr/token-cache.js';

const HOUR = 3_600_000;

/** A token source that counts calls and resolves when told to, so concurrency is observable. */
function countingSource(lifetimeMs: number, clockMs: () => number) {
  const calls: string[] = [];
  const release: Array<() => void> = [];
  const fetch = (region: string): Promise<EcrToken> => {
    const sequence = calls.push(region);
    return new Promise((resolve) =>
      release.push(() =>
        resolve({ region, password: `pw-${sequence}`, proxyHost: 'h', expiresAt: new Date(clockMs() + lifetimeMs) }),
      ),
    );
  };
  return { calls, fetch, releaseAll: () => release.splice(0).forEach((go) => go()) };
}

describe('TokenCache', () => {
  it('makes one call for a cold burst of 50 concurrent requests (single-flight)', async () => {
    let now = Date.parse('2026-11-21T00:00:00Z');
    const source = countingSource(12 * HOUR, () => now);
    const cache = new TokenCache(source.fetch, () => new Date(now));
    const burst = Array.from({ length: 50 }, () => cache.get('us-east-1'));
    source.releaseAll();
    const tokens = await Promise.all(burst);
    assert.equal(source.calls.length, 1);
    assert.ok(tokens.every((t) => t.password === 'pw-1'));
    now += HOUR;
    await cache.get('us-east-1');
    assert.equal(cache.cached('us-east-1'), tokens[0], 'the warm path hands out the same token without a promise');
    assert.equal(source.calls.length, 1, 'warm requests make no call');
  });

  it('keeps one token per region', async () => {
    const now = Date.now();
    const source = countingSource(12 * HOUR, () => now);
    const cache = new TokenCache(source.fetch, () => new Date(now));
    const pending = [cache.get('us-east-1'), cache.get('eu-west-1'), cache.get('us-east-1')];
    source.releaseAll();
    const [east, west, eastAgain] = await Promise.all(pending);
    assert.deepEqual(source.calls, ['us-east-1', 'eu-west-1']);
    assert.notEqual(east!.password, west!.password);
    assert.equal(east, eastAgain);
  });

  it('hands a token out only while it keeps at least 11 h of life', async () => {
    let now = Date.parse('2026-11-21T00:00:00Z');
    const source = countingSource(12 * HOUR, () => now);
    const cache = new TokenCache(source.fetch, () => new Date(now));
    const first = cache.get('us-east-1');
    source.releaseAll();
    await first;
    now += 59 * 60_000; // 11 h 01 m left
    assert.equal((await cache.get('us-east-1')).password, 'pw-1');
    assert.equal(cache.cached('us-east-1')?.password, 'pw-1');
    now += 2 * 60_000; // 10 h 59 m left
    assert.equal(cache.cached('us-east-1'), undefined, 'too short a life for the warm path too');
    const renewed = cache.get('us-east-1');
    source.releaseAll();
    assert.equal((await renewed).password, 'pw-2');
  });

  it('does not cache failures: the next request tries again', async () => {
    let attempt = 0;
    const cache = new TokenCache(async (region) => {
      attempt += 1;
      if (attempt === 1) throw new Error('refused');
      return { region, password: 'ok', proxyHost: 'h', expiresAt: new Date(Date.now() + 12 * HOUR) };
    }, () => new Date());
    await assert.rejects(cache.get('us-east-1'), /refused/);
    assert.equal(cache.cached('us-east-1'), undefined);
    assert.equal((await cache.get('us-east-1')).password, 'ok');
  });

});
