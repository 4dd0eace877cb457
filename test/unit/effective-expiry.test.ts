import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { needsFreshSession } from '../../src/ecr/adapter.js';
import { effectiveExpiry, parseHttpDate } from '../../src/ecr/effective-expiry.js';

const HOUR = 3_600_000;
const at = (iso: string): Date => new Date(iso);

describe('effectiveExpiry', () => {
  it('is ECR expiresAt when the clocks agree and the credentials are long-term', () => {
    const expiry = effectiveExpiry({ receivedAt: at('2026-11-21T00:00:00Z'), serverDate: at('2026-11-21T00:00:00Z'), ecrExpiresAt: at('2026-11-21T12:00:00Z'), credentialsExpireAt: undefined });
    assert.deepEqual([expiry.expiresAt.toISOString(), expiry.credentialsExpireAt, expiry.skewMs], ['2026-11-21T12:00:00.000Z', undefined, 0]);
  });

  it('is the credentials expiry when the role session ends first (kubernetes/kubernetes#69141)', () => {
    const expiry = effectiveExpiry({ receivedAt: at('2026-11-21T00:00:00Z'), serverDate: at('2026-11-21T00:00:00Z'), ecrExpiresAt: at('2026-11-21T12:00:00Z'), credentialsExpireAt: at('2026-11-21T01:00:00Z') });
    assert.equal(expiry.expiresAt.toISOString(), '2026-11-21T01:00:00.000Z');
    assert.equal(expiry.credentialsExpireAt?.toISOString(), '2026-11-21T01:00:00.000Z');
  });

  it('judges the life from AWS Date header: a pod clock 2 h ahead still sees a 12 h token', () => {
    const expiry = effectiveExpiry({ receivedAt: at('2026-11-21T02:00:00Z'), serverDate: at('2026-11-21T00:00:00Z'), ecrExpiresAt: at('2026-11-21T12:00:00Z'), credentialsExpireAt: undefined });
    assert.equal(expiry.expiresAt.getTime() - at('2026-11-21T02:00:00Z').getTime(), 12 * HOUR);
    assert.equal(expiry.skewMs, -2 * HOUR);
  });

  it('shifts the credentials expiry by the same skew', () => {
    const expiry = effectiveExpiry({ receivedAt: at('2026-11-21T00:00:00Z'), serverDate: at('2026-11-21T00:30:00Z'), ecrExpiresAt: at('2026-11-21T12:30:00Z'), credentialsExpireAt: at('2026-11-21T01:30:00Z') });
    assert.equal(expiry.expiresAt.toISOString(), '2026-11-21T01:00:00.000Z');
  });

  it('reads HTTP dates and ignores junk', () => {
    assert.equal(parseHttpDate('Sat, 21 Nov 2026 00:00:00 GMT')?.toISOString(), '2026-11-21T00:00:00.000Z');
    assert.equal(parseHttpDate('yesterday'), undefined);
    assert.equal(parseHttpDate(undefined), undefined);
  });
});

describe('needsFreshSession', () => {
  it('replaces a session once it has used 1/12 of its life', () => {
    assert.equal(needsFreshSession(56 * 60_000, HOUR), false);
    assert.equal(needsFreshSession(54 * 60_000, HOUR), true);
    assert.equal(needsFreshSession(11.5 * HOUR, 12 * HOUR), false);
  });
});

describe('effectiveExpiry below a visible skew', () => {
  it('does not move expiries for latency and the Date header whole seconds', () => {
    const expiry = effectiveExpiry({ receivedAt: at('2026-11-21T00:00:00.900Z'), serverDate: at('2026-11-21T00:00:00Z'), ecrExpiresAt: at('2026-11-21T12:00:00Z'), credentialsExpireAt: undefined });
    assert.deepEqual([expiry.expiresAt.toISOString(), expiry.skewMs], ['2026-11-21T12:00:00.000Z', -900]);
  });
});
