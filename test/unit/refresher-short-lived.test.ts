import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXPIRES_AT_ANNOTATION, UPDATED_AT_ANNOTATION } from '../../src/common/names.js';
import { IMMUTABLE_REASON, planRefresh, type ManagedSecretInfo } from '../../src/refresher/plan.js';
import { shortCredentialsNotice } from '../../src/refresher/short-lived.js';
import { buildStatusReport, renderStatusTable, statusExitCode } from '../../src/refresher/status.js';
import { verifyRefreshed } from '../../src/refresher/verify.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const RUN_START = new Date('2026-11-21T10:00:00Z');
const NOW = new Date('2026-11-21T10:00:05Z');
const iso = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;

function secret(updatedAtMs: number, expiresAtMs: number, extra: Partial<ManagedSecretInfo> = {}): ManagedSecretInfo {
  return {
    namespace: 'team-a',
    name: 'pull',
    type: 'kubernetes.io/dockerconfigjson',
    annotations: { [UPDATED_AT_ANNOTATION]: iso(updatedAtMs), [EXPIRES_AT_ANNOTATION]: iso(expiresAtMs) },
    ...extra,
  };
}
const timing = { intervalMs: 30 * MINUTE };

describe('verifyRefreshed with short-lived credentials (1 h role sessions)', () => {
  it('passes a Secret that outlives the next run: no false alarm', () => {
    const stored = secret(NOW.getTime(), NOW.getTime() + 55 * MINUTE);
    assert.deepEqual(verifyRefreshed(stored, NOW, 6 * HOUR, timing).ok, true);
    assert.equal(verifyRefreshed(stored, NOW, 6 * HOUR).ok, false, 'without the run timing the old rule applies');
  });

  it('fails a rewritten Secret that would expire before the next run', () => {
    const stored = secret(NOW.getTime(), NOW.getTime() + 20 * MINUTE);
    const verdict = verifyRefreshed(stored, NOW, 6 * HOUR, timing);
    assert.equal(verdict.ok, false);
    assert.match(verdict.ok ? '' : verdict.error, /before the next run.*REFRESH_INTERVAL 30m/);
  });

  it('passes a Secret the webhook left alone (it still held that token) while it outlives the next run, and catches a bypass the run before expiry', () => {
    assert.equal(verifyRefreshed(secret(RUN_START.getTime() - 2 * MINUTE, RUN_START.getTime() + 53 * MINUTE), NOW, 6 * HOUR, timing).ok, true);
    assert.equal(verifyRefreshed(secret(RUN_START.getTime() - 32 * MINUTE, RUN_START.getTime() + 23 * MINUTE), NOW, 6 * HOUR, timing).ok, false);
  });

  it('fails a 12 h Secret still within the threshold: long credentials keep the strict rule', () => {
    const stored = secret(NOW.getTime() - 7 * HOUR, NOW.getTime() + 5 * HOUR);
    assert.equal(verifyRefreshed(stored, NOW, 6 * HOUR, timing).ok, false);
  });
});

describe('shortCredentialsNotice', () => {
  it('says so, with the fix, when Secrets were written with credentials shorter than the threshold', () => {
    const notice = shortCredentialsNotice([secret(0, HOUR), secret(0, 12 * HOUR)], 6 * HOUR, 30 * MINUTE);
    assert.match(notice ?? '', /1 managed Secret.*1h 0m.*MaxSessionDuration.*AWS_ROLE_SESSION_DURATION=12h/);
    assert.equal(shortCredentialsNotice([secret(0, 12 * HOUR)], 6 * HOUR, 30 * MINUTE), undefined);
  });
});

describe('immutable managed Secrets', () => {
  it('are skipped by the plan with the reason, and flagged by status (exit 1)', () => {
    const frozen = secret(NOW.getTime() - HOUR, NOW.getTime() + 11 * HOUR, { immutable: true });
    const plan = planRefresh({ secrets: [frozen], enabledNamespaces: new Set(['team-a']), now: NOW, thresholdMs: 6 * HOUR, force: false });
    assert.deepEqual(plan.skipped.map((item) => item.reason), [IMMUTABLE_REASON]);
    const report = buildStatusReport([frozen], new Set(['team-a']), NOW, 6 * HOUR);
    assert.deepEqual([report.immutable, report.secrets[0]?.state, statusExitCode(report)], [1, 'immutable', 1]);
    assert.match(renderStatusTable(report), /IMMUTABLE/);
  });
});
