import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DOCKER_CONFIG_JSON_TYPE, EXPIRES_AT_ANNOTATION, REGISTRIES_ANNOTATION, UPDATED_AT_ANNOTATION } from '../../src/common/names.js';
import type { ManagedSecretInfo } from '../../src/refresher/plan.js';
import { buildStatusReport, renderStatusJson, renderStatusTable, statusExitCode } from '../../src/refresher/status.js';

const NOW = new Date('2026-11-21T12:00:00Z');
const SIX_HOURS = 6 * 3_600_000;

function secret(name: string, annotations: Record<string, string>, type: string = DOCKER_CONFIG_JSON_TYPE, namespace = 'team-a'): ManagedSecretInfo {
  return { namespace, name, type, annotations };
}

const fresh = secret('fresh', {
  [EXPIRES_AT_ANNOTATION]: '2026-11-22T00:00:00Z',
  [UPDATED_AT_ANNOTATION]: '2026-11-21T11:00:00Z',
  [REGISTRIES_ANNOTATION]: '111111111111.dkr.ecr.us-east-1.amazonaws.com, 222222222222.dkr.ecr.eu-west-1.amazonaws.com',
});
const expiring = secret('expiring', { [EXPIRES_AT_ANNOTATION]: '2026-11-21T14:00:00Z', [UPDATED_AT_ANNOTATION]: '2026-11-21T02:00:00Z' });
const expired = secret('expired', { [EXPIRES_AT_ANNOTATION]: '2026-11-21T10:30:00Z' });
const never = secret('never-filled', {});
const garbage = secret('garbage', { [EXPIRES_AT_ANNOTATION]: 'yesterday' });
const opaque = secret('opaque', {}, 'Opaque');
const elsewhere = secret('elsewhere', {}, DOCKER_CONFIG_JSON_TYPE, 'not-enabled');
const enabled = new Set(['team-a']);

describe('buildStatusReport', () => {
  const report = buildStatusReport([fresh, expiring, expired, never, garbage, opaque, elsewhere], enabled, NOW, SIX_HOURS);

  it('has one row per managed Secret in enabled namespaces, sorted', () => {
    assert.deepEqual(report.secrets.map((row) => row.name), ['expired', 'expiring', 'fresh', 'garbage', 'never-filled', 'opaque']);
  });

  it('judges each Secret with the shared staleness rule', () => {
    const states = Object.fromEntries(report.secrets.map((row) => [row.name, [row.state, row.stale]]));
    assert.deepEqual(states, {
      expired: ['expired', true],
      expiring: ['expiring', true],
      fresh: ['fresh', false],
      garbage: ['unparseable', true],
      'never-filled': ['missing', true],
      opaque: ['wrong-type', true],
    });
  });

  it('lists registries and time to expiry', () => {
    const row = report.secrets.find((candidate) => candidate.name === 'fresh');
    assert.deepEqual(row?.registries, ['111111111111.dkr.ecr.us-east-1.amazonaws.com', '222222222222.dkr.ecr.eu-west-1.amazonaws.com']);
    assert.equal(row?.expiresInMs, 12 * 3_600_000);
    assert.equal(report.secrets.find((candidate) => candidate.name === 'never-filled')?.expiresInMs, null);
  });

  it('counts Secrets that cannot pull now (expired, never filled, garbage) and exits 1 for them', () => {
    assert.equal(report.unusable, 3);
    assert.equal(statusExitCode(report), 1);
  });

  it('exits 0 when every Secret is usable, even if some are stale', () => {
    const usable = buildStatusReport([fresh, expiring, opaque], enabled, NOW, SIX_HOURS);
    assert.deepEqual([usable.unusable, usable.stale, statusExitCode(usable)], [0, 1, 0]);
  });
});

describe('renderStatusTable', () => {
  it('prints aligned columns people can read', () => {
    const table = renderStatusTable(buildStatusReport([fresh, expiring, expired, never, opaque], enabled, NOW, SIX_HOURS));
    const lines = table.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^NAMESPACE\s+NAME\s+REGISTRIES\s+EXPIRES IN\s+LAST REFRESH\s+STALE$/);
    assert.match(table, /team-a\s+fresh\s+111111111111\.dkr\.ecr\.us-east-1\.amazonaws\.com,222222222222\S+\s+12h 0m\s+1h 0m ago\s+no/);
    assert.match(table, /team-a\s+expiring\s+\(default\)\s+2h 0m\s+10h 0m ago\s+yes \(expiring\)/);
    assert.match(table, /team-a\s+expired\s+\(default\)\s+expired 1h 30m ago\s+-\s+yes \(expired\)/);
    assert.match(table, /team-a\s+never-filled\s+\(default\)\s+-\s+-\s+yes \(missing\)/);
    assert.match(table, /team-a\s+opaque\s+.*skipped \(wrong type\)/);
    const headerStart = (lines[0] ?? '').indexOf('STALE');
    assert.ok(lines.slice(1).every((line) => /^(no|yes|skipped)/.test(line.slice(headerStart))), 'STALE column aligned');
  });

  it('says so when there is nothing to show', () => {
    assert.equal(renderStatusTable(buildStatusReport([], enabled, NOW, SIX_HOURS)), 'No managed Secrets in enabled namespaces.\n');
  });
});

describe('renderStatusJson', () => {
  it('prints the documented fields with their values, for scripts', () => {
    const json = renderStatusJson(buildStatusReport([fresh, expired], enabled, NOW, SIX_HOURS));
    assert.deepEqual(JSON.parse(json), {
      generatedAt: '2026-11-21T12:00:00.000Z',
      thresholdMs: SIX_HOURS,
      secrets: [
        {
          namespace: 'team-a',
          name: 'expired',
          registries: [],
          expiresAt: '2026-11-21T10:30:00Z',
          expiresInMs: -90 * 60_000,
          lastRefresh: null,
          stale: true,
          state: 'expired',
        },
        {
          namespace: 'team-a',
          name: 'fresh',
          registries: ['111111111111.dkr.ecr.us-east-1.amazonaws.com', '222222222222.dkr.ecr.eu-west-1.amazonaws.com'],
          expiresAt: '2026-11-22T00:00:00Z',
          expiresInMs: 12 * 3_600_000,
          lastRefresh: '2026-11-21T11:00:00Z',
          stale: false,
          state: 'fresh',
        },
      ],
      unusable: 1,
      immutable: 0,
      stale: 1,
    });
    assert.ok(json.endsWith('}\n'), 'one document, ending in a newline');
  });
});
