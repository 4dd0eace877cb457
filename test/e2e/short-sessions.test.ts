// The whole product with 1-hour role sessions on the real API server: the webhook gets web-identity credentials
// from moto's STS (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE through AWS_ENDPOINT_URL_STS, no static keys), so
// every token it writes lives about an hour. The refresher must then refresh every such Secret on every run without
// a false alarm, say at start what is going on, and never pass a Secret that would expire before its next run.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EXPIRES_AT_ANNOTATION } from '../../src/common/names.js';
import { parseRfc3339 } from '../../src/common/time.js';
import { refreshSummaryOf, runCli } from '../../harness/cli-process.js';
import { createNamespace, createSecret, deleteNamespaces, enabledNamespaceLabels, ensureCluster, startClusterWebhook, uniqueName, type ClusterWebhook, type TestCluster } from '../../harness/cluster.js';
import { startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';
import { startMotoSts, type MotoSts } from '../../harness/moto-sts.js';

const HOUR = 3_600_000;
const GROUP_LABEL = 'e2e.ecr-anywhere/short-sessions';

describe('1-hour role sessions, webhook and refresher together', { timeout: 180_000 }, () => {
  let cluster: TestCluster;
  let standIn: EcrStandIn;
  let sts: MotoSts;
  let webhook: ClusterWebhook | undefined;
  const namespace = uniqueName('short-sessions');
  const labels = { [GROUP_LABEL]: namespace };
  const names = ['pull-0', 'pull-1', 'pull-2'];
  const refresh = (extra: string[] = []) =>
    runCli(['refresh', '--kubeconfig', cluster.info.kubeconfig, '--namespace-selector', `${GROUP_LABEL}=${namespace}`, ...extra], { timeoutMs: 60_000 });

  before(async () => {
    cluster = await ensureCluster();
    [standIn, sts] = await Promise.all([startEcrStandIn(), startMotoSts()]);
    await createNamespace(cluster, namespace, enabledNamespaceLabels(labels));
    // Empty static keys: the SDK's chain skips them and takes the web identity.
    webhook = await startClusterWebhook(cluster, { standIn, probeNamespace: namespace, namespaceLabels: labels, env: { ...sts.webIdentityEnv(), AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' } });
    for (const name of names) await createSecret(cluster, { namespace, name });
  });
  after(async () => {
    await webhook?.stop();
    await Promise.all([standIn?.close(), sts?.close()]);
    if (cluster) await deleteNamespaces(cluster, [namespace]);
  });

  it('writes Secrets that expire with the session, and the webhook says why at start', async () => {
    for (const name of names) {
      const secret = await cluster.core.readNamespacedSecret({ namespace, name });
      const left = (parseRfc3339(secret.metadata?.annotations?.[EXPIRES_AT_ANNOTATION])?.getTime() ?? 0) - Date.now();
      assert.ok(left > 0.8 * HOUR && left <= HOUR + 5_000, `${name} expires in ${Math.round(left / 60_000)} min`);
    }
    assert.ok(standIn.calls.every((call) => call.accessKeyId.startsWith('ASIA')), 'ECR was called with the session moto issued');
    assert.match(webhook!.process.output(), /ECR_ANYWHERE_SHORT_CREDENTIALS.*MaxSessionDuration/);
  });

  it('refreshes them all on every run with no false alarm, saying at start that the credentials are short', async () => {
    for (let run = 0; run < 2; run += 1) {
      const result = await refresh();
      assert.equal(result.code, 0, result.stdout.slice(-3_000));
      const summary = refreshSummaryOf(result);
      assert.deepEqual([summary.stale, summary.refreshed, summary.failed], [3, 3, 0], `run ${run}`);
      const notice = result.logLines.find((line) => line.code === 'ECR_ANYWHERE_SHORT_CREDENTIALS');
      assert.match(String(notice?.msg), /3 managed Secret\(s\).*AWS_ROLE_SESSION_DURATION=12h/);
    }
  });

  it('never passes a Secret that would expire before the next run', async () => {
    const result = await refresh(['--interval', '2h']);
    assert.equal(result.code, 1);
    const failures = result.logLines.filter((line) => line.msg === 'refresh failed');
    assert.equal(failures.length, 3);
    for (const failure of failures) assert.match(String(failure.error), /before the next run \(REFRESH_INTERVAL 2h 0m\)/);
  });
});
