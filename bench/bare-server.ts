// The baseline for the webhook benchmark: a bare Fastify TLS endpoint that parses the same AdmissionReview and
// answers it with a fixed patch, doing none of the webhook's work. Run as a child process; prints its port.
import Fastify from 'fastify';
import { readFileSync } from 'node:fs';

const [certFile, keyFile] = process.argv.slice(2);
const app = Fastify({ https: { cert: readFileSync(certFile ?? ''), key: readFileSync(keyFile ?? '') }, bodyLimit: 8 * 1024 * 1024 });
const patch = Buffer.from(JSON.stringify([{ op: 'add', path: '/metadata/annotations', value: {} }])).toString('base64');

app.post('/sync', async (request) => {
  const uid = (request.body as { request?: { uid?: string } }).request?.uid ?? '';
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true, patchType: 'JSONPatch', patch } };
});

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
