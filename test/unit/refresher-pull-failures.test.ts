import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DOCKER_CONFIG_JSON_TYPE, EXPIRES_AT_ANNOTATION } from '../../src/common/names.js';
import { matchPullFailures, pullFailuresOf, renderPullFailureTable, withPullFailures, type PodShape } from '../../src/refresher/pull-failures.js';
import { buildStatusReport } from '../../src/refresher/status.js';

const NOW = new Date('2026-11-21T12:00:00Z');
const report = buildStatusReport(
  [
    { namespace: 'team-a', name: 'ecr-secret', type: DOCKER_CONFIG_JSON_TYPE, annotations: { [EXPIRES_AT_ANNOTATION]: '2026-11-21T11:00:00Z' } },
    { namespace: 'team-a', name: 'fresh', type: DOCKER_CONFIG_JSON_TYPE, annotations: { [EXPIRES_AT_ANNOTATION]: '2026-11-21T20:00:00Z' } },
    { namespace: 'team-b', name: 'ecr-secret', type: DOCKER_CONFIG_JSON_TYPE, annotations: {} },
  ],
  new Set(['team-a', 'team-b']),
  NOW,
  6 * 3_600_000,
);

function pod(namespace: string, name: string, secrets: string[], reason: string | undefined, message = 'pulling ... 401 Unauthorized'): PodShape {
  return {
    metadata: { namespace, name },
    spec: { imagePullSecrets: secrets.map((secret) => ({ name: secret })) },
    status: { containerStatuses: [{ name: 'app', image: 'x.dkr.ecr.us-east-1.amazonaws.com/app:v1', state: reason ? { waiting: { reason, message } } : { running: {} } as never }] },
  };
}

describe('pullFailuresOf', () => {
  it('keeps containers waiting on ErrImagePull or ImagePullBackOff, init containers included', () => {
    const failing: PodShape = {
      metadata: { namespace: 'team-a', name: 'p' },
      spec: { imagePullSecrets: [{ name: 'ecr-secret' }] },
      status: {
        initContainerStatuses: [{ name: 'init', image: 'i', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "i"' } } }],
        containerStatuses: [
          { name: 'app', image: 'a', state: { waiting: { reason: 'PodInitializing' } } },
          { name: 'side', image: 's', state: { waiting: { reason: 'ErrImagePull', message: '401 Unauthorized' } } },
        ],
      },
    };
    assert.deepEqual(
      pullFailuresOf(failing).map((f) => [f.container, f.reason, f.imagePullSecrets]),
      [
        ['init', 'ImagePullBackOff', ['ecr-secret']],
        ['side', 'ErrImagePull', ['ecr-secret']],
      ],
    );
  });

  it('ignores running containers, CrashLoopBackOff and Pods without statuses', () => {
    assert.deepEqual(pullFailuresOf(pod('team-a', 'ok', ['ecr-secret'], undefined)), []);
    assert.deepEqual(pullFailuresOf(pod('team-a', 'crash', ['ecr-secret'], 'CrashLoopBackOff')), []);
    assert.deepEqual(pullFailuresOf({ metadata: { name: 'new' } }), []);
  });
});

describe('matchPullFailures', () => {
  const failures = [
    pod('team-a', 'web', ['other', 'ecr-secret'], 'ImagePullBackOff'),
    pod('team-a', 'unmanaged', ['other'], 'ErrImagePull'),
    pod('team-b', 'no-secret', [], 'ErrImagePull'),
    pod('team-c', 'out-of-scope', ['ecr-secret'], 'ErrImagePull'),
    pod('team-b', 'api', ['ecr-secret'], 'ErrImagePull'),
  ].flatMap(pullFailuresOf);
  const rows = matchPullFailures(failures, report);

  it('keeps only Pods naming a managed Secret of the report in their own namespace, with that Secret expiry', () => {
    assert.deepEqual(
      rows.map((row) => [row.namespace, row.pod, row.secret, row.reason, row.secretState, row.secretExpiresInMs]),
      [
        ['team-a', 'web', 'ecr-secret', 'ImagePullBackOff', 'expired', -3_600_000],
        ['team-b', 'api', 'ecr-secret', 'ErrImagePull', 'missing', null],
      ],
    );
  });

  it('renders a table with the reason next to the Secret expiry, and nothing when no Pod fails', () => {
    const table = renderPullFailureTable(rows);
    const lines = table.trim().split('\n');
    assert.equal(lines[0], 'Pods failing to pull with a managed Secret:');
    assert.match(lines[1] ?? '', /^NAMESPACE\s+POD\s+CONTAINER\s+REASON\s+SECRET\s+SECRET EXPIRES IN\s+MESSAGE$/);
    assert.match(lines[2] ?? '', /^team-a\s+web\s+app\s+ImagePullBackOff\s+ecr-secret\s+expired 1h 0m ago\s+pulling \.\.\. 401 Unauthorized$/);
    assert.match(lines[3] ?? '', /^team-b\s+api\s+app\s+ErrImagePull\s+ecr-secret\s+- \(missing\)/);
    assert.equal(renderPullFailureTable([]), '');
  });

  it('cuts long kubelet messages in the table, never in JSON', () => {
    const long = matchPullFailures(pullFailuresOf(pod('team-a', 'long', ['ecr-secret'], 'ErrImagePull', 'x'.repeat(500))), report);
    assert.ok(renderPullFailureTable(long).split('\n').every((line) => line.length < 260));
    assert.equal(withPullFailures(report, long).pullFailures?.[0]?.message.length, 500);
  });

  it('says why in JSON when Pods could not be listed', () => {
    const json = withPullFailures(report, { unavailable: 'pods is forbidden' });
    assert.equal(json.pullFailures, null);
    assert.equal(json.pullFailuresUnavailable, 'pods is forbidden');
  });
});
