// The run's rules, with the cluster as plain data: what is tried, what counts as success, the exit code, the
// summary. The Kubernetes side of the same rules is proven against a real API server in test/e2e/refresher*.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kubernetesError } from '../../src/common/kubernetes-client.js';
import { DOCKER_CONFIG_JSON_TYPE, EXPIRES_AT_ANNOTATION } from '../../src/common/names.js';
import { formatRfc3339 } from '../../src/common/time.js';
import type { SecretEvent } from '../../src/refresher/events.js';
import type { ApiCallCounts, CreateSecretResult, ImagePullSecretResult, RefresherCluster, SecretRef, ServiceAccountInfo } from '../../src/refresher/kubernetes.js';
import type { ManagedSecretInfo } from '../../src/refresher/plan.js';
import { exitCodeOf, runRefresh, type RefreshOptions } from '../../src/refresher/run.js';
import { captureLogs } from '../../harness/log-capture.js';

const NOW = new Date('2026-11-21T12:00:00Z');
const clock = (): Date => NOW;
const inHours = (hours: number): string => formatRfc3339(new Date(NOW.getTime() + hours * 3_600_000));
const OPTIONS: RefreshOptions = { namespace: undefined, namespaceSelector: undefined, thresholdMs: 6 * 3_600_000, force: false, dryRun: false, concurrency: 3, provisioning: undefined };

/** What a bump does to one Secret: the webhook's effect, or an API error. */
type Bump = (secret: ManagedSecretInfo) => ManagedSecretInfo | Error;
const webhookFills: Bump = (secret) => ({ ...secret, annotations: { ...secret.annotations, [EXPIRES_AT_ANNOTATION]: inHours(12) } });

class PlainDataCluster implements RefresherCluster {
  readonly events: SecretEvent[] = [];
  readonly bumped: string[] = [];
  private readonly counts: ApiCallCounts = { list: 0, get: 0, patch: 0, create: 0, event: 0 };
  inFlight = 0;
  peakInFlight = 0;

  constructor(
    private readonly secrets: ManagedSecretInfo[],
    private readonly enabled: string[],
    private readonly bump: Bump = webhookFills,
    private readonly options: { listError?: Error; eventError?: Error } = {},
  ) {}

  async listManagedSecrets(): Promise<ManagedSecretInfo[]> {
    this.counts.list += 1;
    if (this.options.listError) throw this.options.listError;
    return this.secrets;
  }
  async listEnabledNamespaces(): Promise<Set<string>> {
    this.counts.list += 1;
    return new Set(this.enabled);
  }
  async markForUpdate(secret: SecretRef): Promise<ManagedSecretInfo> {
    this.counts.patch += 1;
    this.inFlight += 1;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    this.inFlight -= 1;
    this.bumped.push(`${secret.namespace}/${secret.name}`);
    const stored = this.secrets.find((candidate) => candidate.namespace === secret.namespace && candidate.name === secret.name);
    const result = this.bump(stored!);
    if (result instanceof Error) throw result;
    return result;
  }
  async createManagedSecret(): Promise<CreateSecretResult> {
    throw new Error('not used');
  }
  async listServiceAccounts(): Promise<ServiceAccountInfo[]> {
    throw new Error('not used');
  }
  async addImagePullSecret(): Promise<ImagePullSecretResult> {
    throw new Error('not used');
  }
  async recordEvent(event: SecretEvent): Promise<void> {
    this.counts.event += 1;
    if (this.options.eventError) throw this.options.eventError;
    this.events.push(event);
  }
  apiCalls(): ApiCallCounts {
    return { ...this.counts };
  }
}

const secret = (namespace: string, name: string, expiresAt?: string, type = DOCKER_CONFIG_JSON_TYPE): ManagedSecretInfo => ({
  namespace,
  name,
  type,
  annotations: expiresAt ? { [EXPIRES_AT_ANNOTATION]: expiresAt } : {},
});

describe('runRefresh', () => {
  const fixtures = [secret('a', 'fresh', inHours(10)), secret('a', 'stale', inHours(1)), secret('b', 'missing'), secret('b', 'opaque', undefined, 'Opaque'), secret('z', 'other')];

  it('bumps only stale Secrets in enabled namespaces, verifies them, records Events, exits 0', async () => {
    const cluster = new PlainDataCluster(fixtures, ['a', 'b']);
    const logs = captureLogs('info');
    const summary = await runRefresh(OPTIONS, { cluster, clock, logger: logs.logger, instance: 'unit' });
    assert.deepEqual(cluster.bumped.sort(), ['a/stale', 'b/missing']);
    assert.deepEqual(
      [summary.found, summary.stale, summary.fresh, summary.refreshed, summary.failed, summary.skipped, summary.ignored],
      [4, 2, 1, 2, 0, 1, 1],
    );
    assert.deepEqual(cluster.events.map((event) => [event.involvedObject.name, event.reason]).sort(), [['missing', 'Refreshed'], ['opaque', 'RefreshSkipped'], ['stale', 'Refreshed']]);
    assert.equal(exitCodeOf(summary), 0);
  });

  it('tries every stale Secret when some fail, and then exits 1', async () => {
    const many = Array.from({ length: 12 }, (_, index) => secret('a', `s${String(index).padStart(2, '0')}`));
    const bump: Bump = (target) => (target.name === 's03' ? kubernetesError(422, 'admission webhook "ecr-anywhere.centml.ai" denied the request') : target.name === 's07' ? target : webhookFills(target));
    const cluster = new PlainDataCluster(many, ['a'], bump);
    const logs = captureLogs('info');
    const summary = await runRefresh(OPTIONS, { cluster, clock, logger: logs.logger, instance: 'unit' });
    assert.equal(cluster.bumped.length, 12);
    const failures = logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === 'refresh failed');
    assert.deepEqual(
      failures.map((line) => [line.secret, line.code]).sort(),
      [['s03', 'ECR_ANYWHERE_KUBERNETES_API'], ['s07', 'ECR_ANYWHERE_REFRESH_NOT_VERIFIED']],
      'each failure carries its stable code',
    );
    assert.deepEqual([summary.refreshed, summary.failed], [10, 2]);
    const failed = cluster.events.filter((event) => event.reason === 'RefreshFailed');
    assert.deepEqual(failed.map((event) => event.involvedObject.name).sort(), ['s03', 's07']);
    assert.match(failed.find((event) => event.involvedObject.name === 's07')?.message ?? '', /still stale after the refresh/);
    assert.match(failed.find((event) => event.involvedObject.name === 's03')?.message ?? '', /denied the request/);
    assert.equal(exitCodeOf(summary), 1);
  });

  it('never has more than --concurrency writes in flight', async () => {
    const many = Array.from({ length: 20 }, (_, index) => secret('a', `s${index}`));
    const cluster = new PlainDataCluster(many, ['a']);
    await runRefresh(OPTIONS, { cluster, clock, logger: captureLogs().logger, instance: 'unit' });
    assert.equal(cluster.peakInFlight, 3);
  });

  it('a Secret gone before its write (404) is skipped, not failed', async () => {
    const cluster = new PlainDataCluster([secret('a', 'gone'), secret('a', 'here')], ['a'], (target) => (target.name === 'gone' ? kubernetesError(404, 'secrets "gone" not found') : webhookFills(target)));
    const summary = await runRefresh(OPTIONS, { cluster, clock, logger: captureLogs().logger, instance: 'unit' });
    assert.deepEqual([summary.refreshed, summary.skipped, summary.failed, exitCodeOf(summary)], [1, 1, 0, 0]);
  });

  it('--dry-run writes nothing, not even Events', async () => {
    const cluster = new PlainDataCluster(fixtures, ['a', 'b']);
    const logs = captureLogs('info');
    const summary = await runRefresh({ ...OPTIONS, dryRun: true }, { cluster, clock, logger: logs.logger, instance: 'unit' });
    assert.deepEqual([cluster.bumped, cluster.events, summary.stale, summary.refreshed, exitCodeOf(summary)], [[], [], 2, 0, 0]);
    assert.equal(logs.lines.filter((line) => line.includes('would refresh (dry run)')).length, 2);
  });

  it('--force bumps fresh Secrets too', async () => {
    const cluster = new PlainDataCluster(fixtures, ['a', 'b']);
    const summary = await runRefresh({ ...OPTIONS, force: true }, { cluster, clock, logger: captureLogs().logger, instance: 'unit' });
    assert.deepEqual(cluster.bumped.sort(), ['a/fresh', 'a/stale', 'b/missing']);
    assert.equal(summary.refreshed, 3);
  });

  it('an Event that cannot be written is counted and logged; the refresh still counts', async () => {
    const cluster = new PlainDataCluster([secret('a', 's')], ['a'], webhookFills, { eventError: kubernetesError(403, 'events is forbidden') });
    const logs = captureLogs('info');
    const summary = await runRefresh(OPTIONS, { cluster, clock, logger: logs.logger, instance: 'unit' });
    assert.deepEqual([summary.refreshed, summary.eventsFailed, exitCodeOf(summary)], [1, 1, 0]);
    assert.match(logs.text(), /"secret":"s","eventReason":"Refreshed","error":"events is forbidden","code":"ECR_ANYWHERE_KUBERNETES_API","msg":"could not record the Event"/);
  });

  it('a failed listing ends the run with the reason and exit 1, having written nothing', async () => {
    const cluster = new PlainDataCluster(fixtures, ['a'], webhookFills, { listError: kubernetesError(403, 'list managed Secrets: secrets is forbidden') });
    const logs = captureLogs('info');
    const summary = await runRefresh(OPTIONS, { cluster, clock, logger: logs.logger, instance: 'unit' });
    assert.equal(summary.error, 'list managed Secrets: secrets is forbidden');
    assert.equal(summary.code, 'ECR_ANYWHERE_KUBERNETES_API');
    assert.deepEqual([cluster.bumped, exitCodeOf(summary)], [[], 1]);
    assert.match(logs.text(), /"level":"error".*refresh run failed/);
  });

  it('--namespace naming a namespace that is not enabled fails the run instead of quietly doing nothing', async () => {
    const cluster = new PlainDataCluster([secret('team-x', 's')], []);
    const summary = await runRefresh({ ...OPTIONS, namespace: 'team-x' }, { cluster, clock, logger: captureLogs().logger, instance: 'unit' });
    assert.equal(summary.error, 'namespace team-x is not labeled ecr-anywhere.centml.ai/namespace=enabled (or does not exist): nothing there is refreshed');
    assert.equal(summary.code, 'ECR_ANYWHERE_NAMESPACE_NOT_ENABLED');
    assert.deepEqual([cluster.bumped, exitCodeOf(summary)], [[], 1]);
  });

  it('writes its one summary line even at LOG_LEVEL=warn, and nothing per Secret', async () => {
    const cluster = new PlainDataCluster(fixtures, ['a', 'b']);
    const logs = captureLogs('warn');
    await runRefresh(OPTIONS, { cluster, clock, logger: logs.logger, instance: 'unit' });
    const messages = logs.lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
    assert.deepEqual(messages, ['skipped', 'refresh run finished']);
  });
});
