// Tenancy on the real API server: the real webhook process (namespace watch through the harness kubeconfig, the
// real AWS SDK reaching the STS and ECR stand-ins), `kubectl apply`, the real refresher CLI, and the chart's own
// namespaced RBAC and ValidatingAdmissionPolicy applied to the cluster.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, PatchStrategy, setHeaderOptions, type CoreV1Event, type V1Secret } from '@kubernetes/client-node';
import { createApiConfiguration, loadKubeConfig } from '../../src/common/kubernetes-client.js';
import {
  ALLOWED_REGISTRIES_ANNOTATION,
  ARGOCD_SECRET_TYPE_LABEL,
  EXPIRES_AT_ANNOTATION,
  MANAGED_LABEL,
  MARKED_FOR_UPDATE_AT_ANNOTATION,
  REGISTRIES_ANNOTATION,
  ROLE_ARN_ANNOTATION,
} from '../../src/common/names.js';
import type { AdmissionReviewResponse } from '../../src/http/review-envelope.js';
import { refreshSummaryOf, runCli } from '../../harness/cli-process.js';
import {
  createNamespace,
  createSecret,
  deleteNamespaces,
  enabledNamespaceLabels,
  ensureCluster,
  kubeconfigForServiceAccount,
  labelNamespace,
  secretBody,
  startClusterWebhook,
  uniqueName,
  type ClusterWebhook,
  type TestCluster,
} from '../../harness/cluster.js';
import { startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';
import { clusterTools, renderChart, type ClusterTools, type KubeObject } from '../../harness/helm.js';
import { managedSecret, secretReview } from '../../harness/reviews.js';
import { accessKeyIdForRole, accountOfAccessKeyId, startStsStandIn, type StsStandIn } from '../../harness/sts-stand-in.js';
import { postJson } from '../../harness/webhook-process.js';

const SUITE_LABEL = 'e2e.ecr-anywhere/suite';
const ROLE_A = 'arn:aws:iam::111111111111:role/team-a-ecr';
const ROLE_B = 'arn:aws:iam::222222222222:role/team-b-ecr';
const OWN_KEY = 'AKIASTANDIN000000001';

function auths(secret: V1Secret | undefined): Record<string, { password?: string }> {
  const json = JSON.parse(Buffer.from(secret?.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8')) as { auths?: Record<string, { password?: string }> };
  return json.auths ?? {};
}

/** The access key that fetched a password: the ECR stand-in writes it into each password it issues. */
function fetchedWith(password: string | undefined): string | undefined {
  return /^pw-([A-Z0-9]+)-/.exec(password ?? '')?.[1];
}

/** Polls `probe` until it gives a value; `last` says what the final attempt saw, for the failure message. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, last: () => string = () => '', timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s; last attempt: ${last()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('tenancy against a real API server', { timeout: 300_000 }, () => {
  const suite = uniqueName('tn');
  const suiteLabels = { [SUITE_LABEL]: suite };
  const nsA = `${suite}-a`;
  const nsB = `${suite}-b`;
  const nsProbe = `${suite}-probe`;
  const nsOff = `${suite}-off`;
  const nsGuarded = `${suite}-guarded`;
  const nsSystem = `${suite}-system`;
  const created = [nsA, nsB, nsProbe, nsOff, nsGuarded, nsSystem];
  const clusterScoped: KubeObject[] = [];
  let cluster: TestCluster;
  let ecr: EcrStandIn;
  let sts: StsStandIn;
  let webhook: ClusterWebhook | undefined;
  let tools: ClusterTools;

  const patchNamespaceAnnotations = (name: string, annotations: Record<string, string | null>): Promise<unknown> =>
    cluster.core.patchNamespace({ name, body: { metadata: { annotations } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  const readSecret = (namespace: string, name: string): Promise<V1Secret> => cluster.core.readNamespacedSecret({ namespace, name });
  const applySecret = (namespace: string, name: string, annotations: Record<string, string>) =>
    tools.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', ...secretBody({ namespace, name, annotations }) }) });

  before(async () => {
    cluster = await ensureCluster();
    tools = await clusterTools(cluster.info.kubeconfig);
    sts = await startStsStandIn();
    ecr = await startEcrStandIn({ passwordFor: (region, n, key) => `pw-${key}-${region}-${n}`, accountOf: accountOfAccessKeyId });
    await createNamespace(cluster, nsA, enabledNamespaceLabels(suiteLabels));
    await patchNamespaceAnnotations(nsA, { [ROLE_ARN_ANNOTATION]: ROLE_A, [ALLOWED_REGISTRIES_ANNOTATION]: '111111111111.dkr.ecr.*.amazonaws.com' });
    await createNamespace(cluster, nsB, enabledNamespaceLabels(suiteLabels));
    await patchNamespaceAnnotations(nsB, { [ROLE_ARN_ANNOTATION]: ROLE_B });
    await createNamespace(cluster, nsProbe, enabledNamespaceLabels(suiteLabels));
    await createNamespace(cluster, nsOff, suiteLabels);
    await createNamespace(cluster, nsGuarded, enabledNamespaceLabels(suiteLabels));
    await createNamespace(cluster, nsSystem, {});
    // Without mutual TLS: the forged-review test proves the namespace check holds on its own.
    webhook = await startClusterWebhook(cluster, { standIn: ecr, probeNamespace: nsProbe, namespaceLabels: suiteLabels, clientAuth: false, env: { AWS_ENDPOINT_URL_STS: sts.url } });
  });

  after(async () => {
    await webhook?.stop();
    for (const object of clusterScoped) await tools.kubectl(['delete', '--ignore-not-found', object.kind, object.metadata.name]);
    await deleteNamespaces(cluster, created);
    await Promise.all([ecr?.close(), sts?.close(), tools?.close()]);
  });

  it("fills namespace A's Secret with a token fetched as role A, and B's as role B", async () => {
    await createSecret(cluster, { namespace: nsA, name: 'creds' });
    await createSecret(cluster, { namespace: nsB, name: 'creds' });
    const a = auths(await readSecret(nsA, 'creds'));
    const b = auths(await readSecret(nsB, 'creds'));
    assert.deepEqual(Object.keys(a), ['111111111111.dkr.ecr.us-east-1.amazonaws.com']);
    assert.deepEqual(Object.keys(b), ['222222222222.dkr.ecr.us-east-1.amazonaws.com']);
    assert.equal(fetchedWith(Object.values(a)[0]?.password), accessKeyIdForRole(ROLE_A));
    assert.equal(fetchedWith(Object.values(b)[0]?.password), accessKeyIdForRole(ROLE_B));
    const sessions = sts.calls.map((call) => [call.roleArn, call.sessionName, call.callerAccessKeyId]);
    assert.deepEqual(sessions, [
      [ROLE_A, `ecr-anywhere-${nsA}`, OWN_KEY],
      [ROLE_B, `ecr-anywhere-${nsB}`, OWN_KEY],
    ]);
  });

  it("refuses with kubectl apply a registry outside the namespace's patterns, and applies the change of the annotation", async () => {
    const outside = { [REGISTRIES_ANNOTATION]: '333333333333.dkr.ecr.eu-west-1.amazonaws.com' };
    const refused = await applySecret(nsA, 'other-account', outside);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /denied the request: ecr-anywhere: registry 333333333333\.dkr\.ecr\.eu-west-1\.amazonaws\.com is not allowed in namespace/);
    assert.match(refused.stderr, /\[ECR_ANYWHERE_REGISTRY_NOT_ALLOWED\]/);
    await assert.rejects(readSecret(nsA, 'other-account'), 'nothing was stored');

    await patchNamespaceAnnotations(nsA, { [ALLOWED_REGISTRIES_ANNOTATION]: '111111111111.dkr.ecr.*.amazonaws.com,333333333333.dkr.ecr.eu-west-1.amazonaws.com' });
    // The watch delivers the change within moments; the next admission after it is allowed.
    let lastApply = '';
    const applied = await until(
      'the widened patterns take effect',
      async () => {
        const result = await applySecret(nsA, 'other-account', outside);
        lastApply = result.stderr;
        return result.code === 0 ? result : undefined;
      },
      () => lastApply,
    );
    assert.match(applied.stdout, /created/);
    const stored = auths(await readSecret(nsA, 'other-account'));
    assert.equal(fetchedWith(stored['333333333333.dkr.ecr.eu-west-1.amazonaws.com']?.password), accessKeyIdForRole(ROLE_A));
  });

  it('gives no credentials to a forged review for a namespace that is not enabled, or does not exist', async () => {
    assert.ok(webhook);
    const callsBefore = ecr.calls.length;
    const forgedOff = await postJson(webhook.process.port, '/sync', secretReview(managedSecret({ namespace: nsOff })), webhook.caPem);
    const off = JSON.parse(forgedOff.body) as AdmissionReviewResponse;
    assert.deepEqual([off.response.allowed, off.response.patch], [true, undefined]);
    const forgedNowhere = await postJson(webhook.process.port, '/sync', secretReview(managedSecret({ namespace: `${suite}-nowhere` })), webhook.caPem);
    const nowhere = JSON.parse(forgedNowhere.body) as AdmissionReviewResponse;
    assert.deepEqual([nowhere.response.allowed, nowhere.response.patch, nowhere.response.status?.reason], [false, undefined, 'ECR_ANYWHERE_NAMESPACE_UNKNOWN']);
    const forgedSystem = await postJson(webhook.process.port, '/sync', secretReview(managedSecret({ namespace: 'kube-system' })), webhook.caPem);
    assert.equal((JSON.parse(forgedSystem.body) as AdmissionReviewResponse).response.patch, undefined);
    assert.equal(ecr.calls.length, callsBefore, 'no token was fetched for any of them');
  });

  it('the next refresher run fails loudly, with the refusal code, for a Secret its namespace no longer allows', async () => {
    // B's Secret holds role B's default registry (account 222222222222); B now allows account 111111111111 only.
    await patchNamespaceAnnotations(nsB, { [ALLOWED_REGISTRIES_ANNOTATION]: '111111111111.dkr.ecr.*.amazonaws.com' });
    await until('the narrowed patterns take effect', async () => {
      const dryRun = await cluster.core.createNamespacedSecret({ namespace: nsB, body: secretBody({ namespace: nsB, name: uniqueName('probe') }), dryRun: 'All' }).then(
        () => undefined,
        (error: unknown) => (String((error as { body?: unknown }).body).includes('ECR_ANYWHERE_REGISTRY_NOT_ALLOWED') ? true : undefined),
      );
      return dryRun;
    });
    const result = await runCli(['refresh', '--kubeconfig', cluster.info.kubeconfig, '--namespaces', nsB, '--force']);
    assert.equal(result.code, 1, result.stdout);
    const summary = refreshSummaryOf(result);
    assert.deepEqual([summary.found, summary.failed, summary.refreshed], [1, 1, 0]);
    const failure = result.logLines.find((line) => line.msg === 'refresh failed');
    assert.match(String(failure?.error), /ECR_ANYWHERE_REGISTRY_NOT_ALLOWED/);
    const events: CoreV1Event[] = (await cluster.core.listNamespacedEvent({ namespace: nsB, fieldSelector: 'involvedObject.name=creds' })).items;
    assert.ok(events.some((event) => event.reason === 'RefreshFailed' && /ECR_ANYWHERE_REGISTRY_NOT_ALLOWED/.test(event.message ?? '')), JSON.stringify(events.map((e) => e.message)));
  });

  it("namespaced mode with only the chart's Roles, and the write guard: the refresher works, data or label changes are refused", async () => {
    const release = uniqueName('tnr');
    const objects = await renderChart(
      { aws: { region: 'us-east-1' }, refresher: { namespaces: [nsGuarded], restrictWrites: true }, tls: { mode: 'manual', manual: { secretName: 'unused', caBundle: 'dW51c2Vk' } } },
      { release, namespace: nsSystem },
    );
    const wanted = objects.filter(
      (object) =>
        (['Role', 'RoleBinding'].includes(object.kind) && object.metadata.namespace === nsGuarded) ||
        ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'].includes(object.kind) ||
        (object.kind === 'ServiceAccount' && object.metadata.name.endsWith('-refresher')),
    );
    assert.deepEqual(wanted.map((object) => object.kind).sort(), ['Role', 'RoleBinding', 'ServiceAccount', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);
    clusterScoped.push(...wanted.filter((object) => object.kind.startsWith('ValidatingAdmissionPolicy')));
    const applied = await tools.kubectl(['apply', '-f', '-'], { input: wanted.map((object) => JSON.stringify(object)).join('\n') });
    assert.equal(applied.code, 0, applied.stderr);
    const account = wanted.find((object) => object.kind === 'ServiceAccount')!.metadata.name;
    const kubeconfig = await kubeconfigForServiceAccount(cluster, nsSystem, account);
    const asRefresher = await clusterTools(kubeconfig);
    let closeApi = (): void => undefined;
    try {
      // Only Roles: nothing cluster-wide.
      assert.equal((await asRefresher.kubectl(['auth', 'can-i', 'list', 'secrets', '--all-namespaces'])).stdout.trim(), 'no');
      assert.equal((await asRefresher.kubectl(['auth', 'can-i', 'patch', 'secrets', '-n', nsGuarded])).stdout.trim(), 'yes');

      await createSecret(cluster, { namespace: nsGuarded, name: 'creds' });
      await createSecret(cluster, { namespace: nsGuarded, name: 'probe' });
      // An Argo CD repository Secret holding an old password, stored while the webhook does not select the namespace:
      // the refresh must let the webhook write its username/password through the guard.
      await cluster.core.patchNamespace({ name: nsGuarded, body: { metadata: { labels: { [SUITE_LABEL]: null } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      const base64 = (text: string): string => Buffer.from(text).toString('base64');
      await createSecret(cluster, {
        namespace: nsGuarded,
        name: 'argocd-repo',
        type: 'Opaque',
        labels: { [MANAGED_LABEL]: 'true', [ARGOCD_SECRET_TYPE_LABEL]: 'repository' },
        data: { url: base64('oci://333333333333.dkr.ecr.us-east-1.amazonaws.com/charts'), type: base64('helm'), enableOCI: base64('true'), password: base64('old') },
      });
      assert.equal((await readSecret(nsGuarded, 'argocd-repo')).data?.password, base64('old'), 'stored as given');
      await labelNamespace(cluster, nsGuarded, suiteLabels);
      // A merge patch as the refresher sends it (kubectl patch would first need `get`, which it does not have).
      const api = createApiConfiguration(loadKubeConfig({ kubeconfig }), { requestTimeoutMs: 20_000 });
      closeApi = (): void => api.close();
      const core = new CoreV1Api(api.configuration);
      const patch = (name: string, body: object): Promise<{ code: number; stdout: string; stderr: string }> =>
        core.patchNamespacedSecret({ name, namespace: nsGuarded, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)).then(
          () => ({ code: 0, stdout: 'patched', stderr: '' }),
          (error: unknown) => ({ code: 1, stdout: '', stderr: String((error as { body?: unknown }).body ?? error) }),
        );
      // The policy takes effect once the API server has compiled and bound it.
      let lastProbe = '';
      await until(
        'the write guard refuses a label change',
        async () => {
          const result = await patch('probe', { metadata: { labels: { [`${suite}/probe`]: String(Date.now()) } } });
          lastProbe = `${result.code} ${result.stdout} ${result.stderr}`;
          return result.code !== 0 && /refresher may not change a Secret's labels/.test(result.stderr) ? result : undefined;
        },
        () => lastProbe,
      );

      const refreshed = await runCli(['refresh', '--kubeconfig', kubeconfig, '--namespaces', nsGuarded, '--force']);
      assert.equal(refreshed.code, 0, refreshed.stdout + refreshed.stderr);
      assert.deepEqual([refreshSummaryOf(refreshed).refreshed, refreshSummaryOf(refreshed).failed], [3, 0], 'creds, the probe and the Argo CD Secret');
      const argo = await readSecret(nsGuarded, 'argocd-repo');
      assert.match(Buffer.from(argo.data?.password ?? '', 'base64').toString(), /^pw-/, 'the webhook wrote the token through the guard');
      assert.equal(argo.data?.username, base64('AWS'));
      const afterRun = await readSecret(nsGuarded, 'creds');
      assert.ok(afterRun.metadata?.annotations?.[MARKED_FOR_UPDATE_AT_ANNOTATION]);
      assert.ok(afterRun.metadata?.annotations?.[EXPIRES_AT_ANNOTATION]);

      const dataPatch = await patch('creds', { data: { extra: Buffer.from('x').toString('base64') } });
      assert.notEqual(dataPatch.code, 0);
      assert.match(dataPatch.stderr, /ValidatingAdmissionPolicy .*denied request: the ecr-anywhere refresher may not change a Secret's data/);
      const labelPatch = await patch('creds', { metadata: { labels: { team: 'x' } } });
      assert.match(labelPatch.stderr, /may not change a Secret's labels/);
      const annotationPatch = await patch('creds', { metadata: { annotations: { 'example.com/other': 'x' } } });
      assert.match(annotationPatch.stderr, /may change no annotation but ecr-anywhere\.centml\.ai\/marked_for_update_at/);
      const stored = await readSecret(nsGuarded, 'creds');
      assert.deepEqual([stored.data?.extra, stored.metadata?.labels?.team, stored.metadata?.annotations?.['example.com/other']], [undefined, undefined, undefined]);
    } finally {
      closeApi();
      await asRefresher.close();
    }
  });
});
