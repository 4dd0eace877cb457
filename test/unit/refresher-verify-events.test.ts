import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DOCKER_CONFIG_JSON_TYPE, EXPIRES_AT_ANNOTATION } from '../../src/common/names.js';
import { EVENT_REASONS, secretEvent } from '../../src/refresher/events.js';
import { verifyRefreshed } from '../../src/refresher/verify.js';

const NOW = new Date('2026-11-21T12:00:00Z');
const SIX_HOURS = 6 * 3_600_000;
const stored = (expiresAt: string | undefined): { namespace: string; name: string; type: string; annotations: Record<string, string> } => ({
  namespace: 'team-a',
  name: 'ecr',
  type: DOCKER_CONFIG_JSON_TYPE,
  annotations: expiresAt === undefined ? {} : { [EXPIRES_AT_ANNOTATION]: expiresAt },
});

describe('verifyRefreshed', () => {
  it('accepts a stored object whose expiry lies beyond the threshold', () => {
    assert.deepEqual(verifyRefreshed(stored('2026-11-21T23:59:00Z'), NOW, SIX_HOURS), { ok: true, expiresAt: '2026-11-21T23:59:00Z' });
  });
  const failures: Array<[string, string | undefined, RegExp]> = [
    ['no expiry (webhook never ran)', undefined, /expires_at is missing/],
    ['an unchanged, expiring expiry', '2026-11-21T13:00:00Z', /"2026-11-21T13:00:00Z" \(expiring\)/],
    ['an expired expiry', '2026-11-21T11:00:00Z', /\(expired\)/],
    ['garbage', 'later', /"later" \(unparseable\)/],
  ];
  for (const [label, expiresAt, message] of failures) {
    it(`fails ${label}, and points at the webhook`, () => {
      const verdict = verifyRefreshed(stored(expiresAt), NOW, SIX_HOURS);
      assert.equal(verdict.ok, false);
      if (!verdict.ok) {
        assert.match(verdict.error, message);
        assert.match(verdict.error, /MutatingWebhookConfiguration with webhook ecr-anywhere\.centml\.ai/);
      }
    });
  }
});

describe('secretEvent', () => {
  const target = { namespace: 'team-a', name: 'ecr', uid: 'u-1', resourceVersion: '42' };

  it('points at the Secret and carries type, reason and message', () => {
    const event = secretEvent(target, { type: 'Warning', reason: EVENT_REASONS.failed, message: 'still stale' }, NOW, 'refresher-pod');
    assert.deepEqual(event.involvedObject, { apiVersion: 'v1', kind: 'Secret', namespace: 'team-a', name: 'ecr', uid: 'u-1', resourceVersion: '42' });
    assert.deepEqual([event.type, event.reason, event.message, event.count], ['Warning', 'RefreshFailed', 'still stale', 1]);
    assert.deepEqual([event.metadata.namespace, event.metadata.generateName], ['team-a', 'ecr.']);
    assert.deepEqual([event.source.component, event.reportingComponent, event.reportingInstance], ['ecr-anywhere-refresher', 'ecr-anywhere.centml.ai/refresher', 'refresher-pod']);
    assert.equal(event.firstTimestamp, NOW);
  });

  it('keeps generateName within what the API server accepts for long Secret names', () => {
    const event = secretEvent({ namespace: 'n', name: 'x'.repeat(253) }, { type: 'Normal', reason: EVENT_REASONS.refreshed, message: 'ok' }, NOW, 'i');
    assert.equal(event.metadata.generateName.length, 58);
    assert.equal('uid' in event.involvedObject, false);
  });

  it('truncates very long messages', () => {
    const event = secretEvent(target, { type: 'Warning', reason: EVENT_REASONS.failed, message: 'e'.repeat(5_000) }, NOW, 'i');
    assert.equal(event.message.length, 1_024);
    assert.ok(event.message.endsWith('…'));
  });
});
