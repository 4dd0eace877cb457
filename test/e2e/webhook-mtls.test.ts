// Only the API server obtains credentials: the real kube-apiserver, started by the harness with an
// AdmissionConfiguration whose webhook kubeconfig presents a client certificate, calls a webhook that requires it
// (CLIENT_CA_FILE, CLIENT_ALLOWED_NAMES) and fills a labeled Secret; direct clients without that certificate get
// no answer at all.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { EXPIRES_AT_ANNOTATION } from '../../src/common/names.js';
import type { AdmissionReviewResponse } from '../../src/http/review-envelope.js';
import { createNamespace, createSecret, deleteNamespaces, enabledNamespaceLabels, ensureCluster, startClusterWebhook, uniqueName, type ClusterWebhook, type TestCluster } from '../../harness/cluster.js';
import { issueClientCertificate, testClientCa } from '../../harness/client-certificates.js';
import { startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';
import { managedSecret, secretReview } from '../../harness/reviews.js';
import { exchange, type Exchange } from '../../harness/tls-client.js';

function assertNoAnswer(result: Exchange, what: string): void {
  assert.equal(result.answered, false, `${what} got an answer: ${result.answered ? `${result.status} ${result.body.slice(0, 200)}` : ''}`);
}

describe('mutual TLS between the API server and the webhook', { timeout: 180_000 }, () => {
  let cluster: TestCluster;
  let standIn: EcrStandIn;
  let webhook: ClusterWebhook;
  const namespace = uniqueName('mtls');
  const runLabel = { 'e2e.ecr-anywhere/mtls': namespace };

  before(async () => {
    cluster = await ensureCluster();
    standIn = await startEcrStandIn();
    await createNamespace(cluster, namespace, enabledNamespaceLabels(runLabel));
    // Registration waits until a dry-run Secret comes back mutated: the API server's certificate is accepted.
    webhook = await startClusterWebhook(cluster, { standIn, probeNamespace: namespace, namespaceLabels: runLabel });
  });
  after(async () => {
    await webhook?.stop();
    await deleteNamespaces(cluster, [namespace]);
    await standIn.close();
  });

  it('fills a labeled Secret created through the API server, which presents its client certificate', async () => {
    const secret = await createSecret(cluster, { namespace, name: uniqueName('pull') });
    assert.ok(secret.metadata?.annotations?.[EXPIRES_AT_ANNOTATION], 'the webhook stamped the Secret');
    const config = JSON.parse(Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8')) as { auths: Record<string, { password?: string }> };
    assert.equal(Object.values(config.auths)[0]?.password, standIn.issued.at(-1));
    assert.match(webhook.process.output(), /"clientAuth":true/);
    assert.doesNotMatch(webhook.process.output(), /no CLIENT_CA_FILE/);
  });

  it('gives a direct client no answer without a certificate, with one from another CA, or with one not naming the API server', async () => {
    const harnessCa = { certPem: await readFile(cluster.info.webhookClientCaFile, 'utf8'), keyPem: await readFile(cluster.info.webhookClientCaKeyFile, 'utf8') };
    const target = { port: webhook.process.port, ca: webhook.caPem };
    const issuedBefore = standIn.issued.length;
    const review = (): unknown => secretReview(managedSecret({ namespace }));
    assertNoAnswer(await exchange(target, '/sync', review()), 'a client without a certificate');
    assertNoAnswer(await exchange({ ...target, client: issueClientCertificate(testClientCa('another-ca'), { commonName: cluster.info.webhookClientName }) }, '/sync', review()), 'a certificate from another CA');
    assertNoAnswer(await exchange({ ...target, client: issueClientCertificate(harnessCa, { commonName: 'some-pod' }) }, '/sync', review()), 'a certificate not naming the API server');
    assert.equal(standIn.issued.length, issuedBefore, 'none of them made the webhook fetch a token');

    // The same request with a certificate like the API server's is answered: the refusals above are about the caller.
    const likeApiServer = await exchange({ ...target, client: issueClientCertificate(harnessCa, { commonName: cluster.info.webhookClientName }) }, '/sync', secretReview(managedSecret({ namespace }), { uid: 'like-apiserver' }));
    assert.ok(likeApiServer.answered && likeApiServer.status === 200, JSON.stringify(likeApiServer));
    assert.equal((JSON.parse(likeApiServer.body) as AdmissionReviewResponse).response.uid, 'like-apiserver');
  });
});
