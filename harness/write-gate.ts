// A write gate for race tests: a ValidatingWebhookConfiguration served from this host that holds every UPDATE of one
// Secret until `writers` of them are in flight (or `holdMs` passes), then lets them all through at once. Two writers
// that both read the Secret are thereby sure to collide at the API server instead of racing by luck of timing; what
// the API server then does with them (store one, answer 409 Conflict to the other) is its own, unmocked behaviour.
// The gate also records what it held: each write's resourceVersion precondition, i.e. which version the writer read.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createSelfSignedServing } from '../src/tls/certificates.js';
import { uniqueName, type TestCluster } from './cluster.js';

export interface HeldWrite {
  /** The resourceVersion the writer sent: the version it read. */
  readonly resourceVersion: string | undefined;
  /** The version stored when the API server called the gate. */
  readonly storedVersion: string | undefined;
  readonly arrivedAt: number;
}

export interface WriteGate {
  /** Every held UPDATE of the Secret, in arrival order. */
  readonly writes: readonly HeldWrite[];
  /** Unregisters the webhook and stops the server. */
  close(): Promise<void>;
}

interface Review {
  request?: { uid?: string; name?: string; operation?: string; object?: { metadata?: { resourceVersion?: string } }; oldObject?: { metadata?: { resourceVersion?: string } } };
}

const PROBE_SECRET = 'write-gate-probe';

export async function startWriteGate(
  cluster: TestCluster,
  options: { readonly namespace: string; readonly secretName: string; readonly writers: number; readonly holdMs: number },
): Promise<WriteGate> {
  const writes: HeldWrite[] = [];
  const waiting: Array<() => void> = [];
  let probed = false;
  const releaseAll = (): void => {
    for (const release of waiting.splice(0)) release();
  };

  const serving = createSelfSignedServing({ hosts: ['127.0.0.1'], now: new Date(), validityDays: 1 });
  const server: Server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Review;
      const request = review.request ?? {};
      const answer = (): void => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: request.uid, allowed: true } }));
      };
      if (request.name === PROBE_SECRET) {
        probed = true;
        answer();
        return;
      }
      if (request.operation !== 'UPDATE' || request.name !== options.secretName) {
        answer();
        return;
      }
      writes.push({ resourceVersion: request.object?.metadata?.resourceVersion, storedVersion: request.oldObject?.metadata?.resourceVersion, arrivedAt: Date.now() });
      waiting.push(answer);
      if (writes.length >= options.writers) releaseAll();
      else setTimeout(releaseAll, options.holdMs).unref();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const name = uniqueName('e2e-write-gate');
  await cluster.admission.createValidatingWebhookConfiguration({
    body: {
      metadata: { name },
      webhooks: [
        {
          name: 'write-gate.e2e.ecr-anywhere.test',
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
          failurePolicy: 'Fail',
          timeoutSeconds: Math.ceil(options.holdMs / 1000) + 5,
          clientConfig: { url: `https://127.0.0.1:${port}/gate`, caBundle: Buffer.from(serving.caPem).toString('base64') },
          rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['secrets'], scope: 'Namespaced' }],
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': options.namespace } },
        },
      ],
    },
  });
  const close = async (): Promise<void> => {
    releaseAll();
    await cluster.admission.deleteValidatingWebhookConfiguration({ name }).catch(() => undefined);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };

  // The API server learns of new webhook configurations through a watch: until a dry-run update of a probe Secret
  // reaches the gate, writes would slip past it.
  try {
    const probe = await cluster.core.createNamespacedSecret({ namespace: options.namespace, body: { metadata: { name: PROBE_SECRET }, type: 'Opaque' } });
    const deadline = Date.now() + 20_000;
    while (!probed) {
      if (Date.now() > deadline) throw new Error('the write gate was not called within 20 s of its registration');
      await cluster.core.replaceNamespacedSecret({ namespace: options.namespace, name: PROBE_SECRET, body: probe, dryRun: 'All' });
      if (!probed) await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { writes, close };
}
