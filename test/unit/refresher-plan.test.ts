import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ARGOCD_SECRET_TYPE_LABEL, DOCKER_CONFIG_JSON_TYPE, EXPIRES_AT_ANNOTATION, MANAGED_LABEL } from '../../src/common/names.js';
import { describeRefreshReason, OTHER_SECRET_TYPE, planRefresh, type ManagedSecretInfo } from '../../src/refresher/plan.js';
import { matchesEqualitySelector } from '../../src/refresher/kubernetes.js';

const NOW = new Date('2026-11-21T12:00:00Z');
const SIX_HOURS = 6 * 3_600_000;

/** `type: null` stands for a Secret stored without a type (the API server's default, Opaque). */
function secret(namespace: string, name: string, expiresAt: string | undefined, type: string | null = DOCKER_CONFIG_JSON_TYPE): ManagedSecretInfo {
  return { namespace, name, type: type ?? undefined, annotations: expiresAt === undefined ? {} : { [EXPIRES_AT_ANNOTATION]: expiresAt } };
}

describe('planRefresh', () => {
  const enabled = new Set(['team-a', 'team-b', 'kube-system']);
  const cases: Array<[string, ManagedSecretInfo, 'refresh' | 'fresh' | 'skipped' | 'ignored', string?]> = [
    ['no expires_at', secret('team-a', 'missing', undefined), 'refresh', 'missing'],
    ['a blank expires_at', secret('team-a', 'blank', '  '), 'refresh', 'missing'],
    ['a garbage expires_at', secret('team-a', 'garbage', 'next tuesday'), 'refresh', 'unparseable'],
    ['a date without time', secret('team-a', 'date-only', '2026-11-22'), 'refresh', 'unparseable'],
    ['an epoch number', secret('team-a', 'epoch', '1795000000'), 'refresh', 'unparseable'],
    ['an expired Secret', secret('team-b', 'expired', '2026-11-21T11:59:59Z'), 'refresh', 'expired'],
    ['expiry exactly at the threshold', secret('team-b', 'edge', '2026-11-21T18:00:00Z'), 'refresh', 'expiring'],
    ['expiry one second past the threshold', secret('team-b', 'just-fresh', '2026-11-21T18:00:01Z'), 'fresh'],
    ['an offset time that is fresh', secret('team-b', 'offset', '2026-11-21T23:00:00+02:00'), 'fresh'],
    ['an Opaque Secret', secret('team-a', 'opaque', '2026-11-21T13:00:00Z', 'Opaque'), 'skipped'],
    ['a Secret without type (Opaque)', secret('team-a', 'untyped', undefined, null), 'skipped'],
    ['a namespace that is not enabled', secret('team-z', 'elsewhere', undefined), 'ignored'],
    ['kube-system, even when labeled enabled', secret('kube-system', 'system', undefined), 'ignored'],
    ['kube-public', secret('kube-public', 'public', undefined), 'ignored'],
  ];
  for (const [label, input, expected, reason] of cases) {
    it(`${label} → ${expected}${reason ? ` (${reason})` : ''}`, () => {
      const plan = planRefresh({ secrets: [input], enabledNamespaces: enabled, now: NOW, thresholdMs: SIX_HOURS, force: false });
      const where = plan.refresh.length ? 'refresh' : plan.fresh.length ? 'fresh' : plan.skipped.length ? 'skipped' : plan.ignored ? 'ignored' : 'none';
      assert.equal(where, expected);
      if (reason) assert.equal(plan.refresh[0]?.reason, reason);
    });
  }

  it('force refreshes fresh Secrets too, but still skips wrong types and ignores other namespaces', () => {
    const plan = planRefresh({
      secrets: [secret('team-a', 'fresh', '2026-11-22T00:00:00Z'), secret('team-a', 'stale', undefined), secret('team-a', 'opaque', undefined, 'Opaque'), secret('x', 'y', undefined)],
      enabledNamespaces: enabled,
      now: NOW,
      thresholdMs: SIX_HOURS,
      force: true,
    });
    assert.deepEqual(plan.refresh.map((item) => [item.secret.name, item.reason]), [['fresh', 'forced'], ['stale', 'missing']]);
    assert.deepEqual([plan.fresh.length, plan.skipped.length, plan.ignored], [0, 1, 1]);
  });

  it('the threshold decides: 1h makes a Secret expiring in 2h fresh', () => {
    const input = [secret('team-a', 's', '2026-11-21T14:00:00Z')];
    assert.equal(planRefresh({ secrets: input, enabledNamespaces: enabled, now: NOW, thresholdMs: SIX_HOURS, force: false }).refresh.length, 1);
    assert.equal(planRefresh({ secrets: input, enabledNamespaces: enabled, now: NOW, thresholdMs: 3_600_000, force: false }).fresh.length, 1);
  });

  it('orders every list by namespace/name whatever the listing order', () => {
    const plan = planRefresh({
      secrets: [secret('team-b', 'a', undefined), secret('team-a', 'z', undefined), secret('team-a', 'b', undefined)],
      enabledNamespaces: enabled,
      now: NOW,
      thresholdMs: SIX_HOURS,
      force: false,
    });
    assert.deepEqual(plan.refresh.map((item) => `${item.secret.namespace}/${item.secret.name}`), ['team-a/b', 'team-a/z', 'team-b/a']);
  });

  it('an empty cluster yields an empty plan', () => {
    assert.deepEqual(planRefresh({ secrets: [], enabledNamespaces: new Set(), now: NOW, thresholdMs: SIX_HOURS, force: false }), {
      refresh: [],
      fresh: [],
      skipped: [],
      ignored: 0,
    });
  });

  it('says why a wrong-type Secret is skipped', () => {
    const plan = planRefresh({ secrets: [secret('team-a', 'o', undefined, 'Opaque')], enabledNamespaces: enabled, now: NOW, thresholdMs: SIX_HOURS, force: false });
    assert.match(plan.skipped[0]?.reason ?? '', /type Opaque is not kubernetes\.io\/dockerconfigjson/);
  });

  it('says the same of a Secret a metadata-only list knows only to be of another type', () => {
    const plan = planRefresh({ secrets: [secret('team-a', 'o', undefined, OTHER_SECRET_TYPE)], enabledNamespaces: enabled, now: NOW, thresholdMs: SIX_HOURS, force: false });
    assert.match(plan.skipped[0]?.reason ?? '', /^its type is not kubernetes\.io\/dockerconfigjson \(nor Opaque with argocd\.argoproj\.io\/secret-type=repository or repo-creds\): the webhook refuses/);
  });

  const argoCd = (name: string, type: string | undefined, secretType: string, expiresAt?: string): ManagedSecretInfo => ({
    ...secret('team-a', name, expiresAt, type ?? null),
    labels: { [MANAGED_LABEL]: 'true', [ARGOCD_SECRET_TYPE_LABEL]: secretType },
  });
  const argoCases: Array<[string, ManagedSecretInfo, 'refresh' | 'fresh' | 'skipped']> = [
    ['an expiring Opaque Argo CD repository Secret', argoCd('repo', 'Opaque', 'repository', '2026-11-21T13:00:00Z'), 'refresh'],
    ['an untyped (Opaque) repo-creds Secret without expires_at', argoCd('creds', undefined, 'repo-creds'), 'refresh'],
    ['a fresh Argo CD repository Secret', argoCd('fresh', 'Opaque', 'repository', '2026-11-21T23:00:00Z'), 'fresh'],
    ['an Argo CD cluster Secret (not a repository)', argoCd('cluster', 'Opaque', 'cluster'), 'skipped'],
    ['a repository label on a type other than Opaque', argoCd('other', OTHER_SECRET_TYPE, 'repository'), 'skipped'],
  ];
  for (const [label, item, expected] of argoCases) {
    it(`${label} → ${expected}`, () => {
      const plan = planRefresh({ secrets: [item], enabledNamespaces: enabled, now: NOW, thresholdMs: SIX_HOURS, force: false });
      assert.deepEqual([plan.refresh.length, plan.fresh.length, plan.skipped.length], [expected === 'refresh' ? 1 : 0, expected === 'fresh' ? 1 : 0, expected === 'skipped' ? 1 : 0]);
    });
  }
});

describe('describeRefreshReason', () => {
  const plan = planRefresh({
    secrets: [
      secret('a', 'missing', undefined),
      secret('a', 'unparseable', 'soon'),
      secret('a', 'expired', '2026-11-21T10:00:00Z'),
      secret('a', 'expiring', '2026-11-21T14:30:00Z'),
      secret('a', 'forced', '2026-11-22T12:00:00Z'),
    ],
    enabledNamespaces: new Set(['a']),
    now: NOW,
    thresholdMs: SIX_HOURS,
    force: true,
  });
  const expected: Record<string, RegExp> = {
    missing: /expires_at is missing/,
    unparseable: /"soon" is not an RFC 3339 time/,
    expired: /expired at 2026-11-21T10:00:00Z/,
    expiring: /expire at 2026-11-21T14:30:00Z, in 2h 30m/,
    forced: /forced/,
  };
  for (const item of plan.refresh) {
    it(`explains ${item.secret.name}`, () => assert.match(describeRefreshReason(item, NOW), expected[item.secret.name] ?? /never/));
  }
});

describe('matchesEqualitySelector (namespaced mode)', () => {
  it('matches key=value terms against labels, and refuses other selector syntax clearly', () => {
    assert.equal(matchesEqualitySelector({ team: 'a', tier: 'x' }, 'team=a,tier=x'), true);
    assert.equal(matchesEqualitySelector({ team: 'a' }, 'team=b'), false);
    assert.equal(matchesEqualitySelector({}, undefined), true);
    assert.throws(() => matchesEqualitySelector({ team: 'a' }, 'team in (a,b)'), /only key=value selectors \(REFRESH_NAMESPACE_SELECTOR\), not "team in \(a"/);
    assert.throws(() => matchesEqualitySelector({ team: 'a' }, 'team!=b'), /only key=value selectors/);
  });
});
