// GitOps on a real kube-apiserver: the chart rendered with `helm template` and applied with kubectl, as Argo CD
// does (Helm's `lookup` sees nothing, so the rendered MutatingWebhookConfiguration has no caBundle), then the real
// webhook with exactly the environment the Deployment declares (harness/chart-testbed.ts). Measured: the time from
// the webhook's start to the first successful admission, and from a sync that strips the caBundle again (Argo CD's
// Replace=true, `kubectl replace`) to admissions working again. The webhook's caBundle guard restores it within
// seconds; the certificate loop alone (TLS_CHECK_INTERVAL, 60 s by default) would take up to a minute.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { startChartTestbed, type ChartTestbed } from '../../harness/chart-testbed.js';
import { at, envOf, helmTemplate, only, parseObjects, podTemplate } from '../../harness/helm.js';
import { until } from '../../harness/poll.js';

describe('the chart applied GitOps-style (helm template | kubectl apply)', { timeout: 300_000 }, () => {
  let bed: ChartTestbed;
  let rendered = '';

  before(async () => {
    bed = await startChartTestbed('gitops');
  });

  after(async () => {
    if (rendered !== '') await bed.tools.kubectl(['delete', '--ignore-not-found', '--wait=false', '-f', '-'], { input: rendered });
    await bed.close();
  });

  async function caBundleOf(name: string): Promise<string> {
    const configuration = await bed.cluster.admission.readMutatingWebhookConfiguration({ name });
    return configuration.webhooks?.[0]?.clientConfig.caBundle ?? '';
  }

  it('admits within seconds of the webhook starting, and again within seconds of a sync stripping the caBundle', async () => {
    const template = await helmTemplate(bed.values, { release: bed.release, namespace: bed.namespace });
    assert.equal(template.code, 0, template.stderr);
    rendered = template.stdout;
    const objects = parseObjects(rendered);
    const configuration = only(objects, 'MutatingWebhookConfiguration');
    assert.equal(at<{ caBundle?: string }>(configuration, 'webhooks', 0, 'clientConfig').caBundle, undefined, 'rendered without a caBundle, as Argo CD renders it');
    const applied = await bed.tools.kubectl(['apply', '--namespace', bed.namespace, '-f', '-'], { input: rendered });
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal(envOf(podTemplate(only(objects, 'Deployment')).spec.containers[0]!).get('TLS_CHECK_INTERVAL'), undefined, 'the certificate loop keeps its default interval (60 s)');

    const started = Date.now();
    const webhook = await bed.startWebhook(objects);
    await bed.admitLabeledSecret(30_000);
    const toFirstAdmissionMs = Date.now() - started;

    // The next sync, as Argo CD with Replace=true (or any `kubectl replace` of the rendered object) writes it.
    const configurationName = configuration.metadata.name;
    assert.notEqual(await caBundleOf(configurationName), '');
    const stripped = Date.now();
    const replaced = await bed.tools.kubectl(['replace', '-f', '-'], { input: stringify(configuration) });
    assert.equal(replaced.code, 0, replaced.stderr);
    await until('the caBundle restored', 15_000, async () => ((await caBundleOf(configurationName)) !== '' ? true : undefined), 100);
    await bed.admitLabeledSecret(15_000);
    const toRecoveryMs = Date.now() - stripped;

    // A plain re-apply of the whole rendered chart (Argo CD's default sync) leaves admissions working too.
    const reapplied = await bed.tools.kubectl(['apply', '--namespace', bed.namespace, '-f', '-'], { input: rendered });
    assert.equal(reapplied.code, 0, reapplied.stderr);
    await bed.admitLabeledSecret(15_000);

    console.log(`gitops: first successful admission ${(toFirstAdmissionMs / 1000).toFixed(1)} s after the webhook started; admissions again ${(toRecoveryMs / 1000).toFixed(1)} s after a sync stripped the caBundle`);
    assert.match(webhook.output(), /restored it/, 'the guard says what it did');
  });
});
