// One refresher plan in its own process, so its peak RSS is its own: list the managed Secrets and enabled
// namespaces, plan, print one JSON line. `metadata` lists as the refresher does now (PartialObjectMetadataList, via
// its adapter); `full` lists whole Secrets, data included, as the refresher did before issue 12 — kept here, in the
// benchmark only, as the baseline the change is measured against.
//   node dist/bench/refresher-plan.js <metadata|full> <kubeconfig> <namespace label selector>
import { CoreV1Api } from '@kubernetes/client-node';
import { createApiConfiguration, loadKubeConfig } from '../src/common/kubernetes-client.js';
import { MANAGED_SELECTOR } from '../src/common/names.js';
import { KubernetesRefresherCluster, toManagedSecretInfo } from '../src/refresher/kubernetes.js';
import { planRefresh, type ManagedSecretInfo } from '../src/refresher/plan.js';
import { DEFAULT_RETRY_POLICY } from '../src/refresher/retry.js';

const PAGE_SIZE = 500;
const [mode, kubeconfig, selector] = process.argv.slice(2);
if ((mode !== 'metadata' && mode !== 'full') || !kubeconfig || !selector) throw new Error('usage: refresher-plan.js <metadata|full> <kubeconfig> <selector>');

const started = performance.now();
const kubeConfig = loadKubeConfig({ kubeconfig });
const cluster = new KubernetesRefresherCluster(kubeConfig, { pageSize: PAGE_SIZE, requestTimeoutMs: 120_000, retry: DEFAULT_RETRY_POLICY });

/** The pre-issue-12 listing: whole Secrets, page by page, of which only the metadata and type were kept. */
async function listFullSecrets(): Promise<ManagedSecretInfo[]> {
  const api = createApiConfiguration(kubeConfig, { requestTimeoutMs: 120_000 });
  const core = new CoreV1Api(api.configuration);
  const secrets: ManagedSecretInfo[] = [];
  let cont: string | undefined;
  do {
    const page = await core.listSecretForAllNamespaces({ labelSelector: MANAGED_SELECTOR, limit: PAGE_SIZE, _continue: cont });
    secrets.push(...page.items.map((secret) => toManagedSecretInfo(secret)));
    cont = page.metadata?._continue || undefined;
  } while (cont !== undefined);
  api.close();
  return secrets;
}

const [enabledNamespaces, secrets] = await Promise.all([
  cluster.listEnabledNamespaces({ extraSelector: selector }),
  mode === 'full' ? listFullSecrets() : cluster.listManagedSecrets(undefined),
]);
const plan = planRefresh({ secrets, enabledNamespaces, now: new Date(), thresholdMs: 6 * 3_600_000, force: false });
cluster.close();
process.stdout.write(
  `${JSON.stringify({ mode, found: plan.refresh.length + plan.fresh.length + plan.skipped.length, stale: plan.refresh.length, ignored: plan.ignored, planMs: performance.now() - started })}\n`,
);
