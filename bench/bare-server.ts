// The baseline for the webhook benchmark: a bare Fastify TLS endpoint that parses the same AdmissionReview and
// answers it with a fixed answer, doing none of the webhook's work. Run as a child process; prints its port.
//   bare-server <cert> <key> [answer.json]
// With an answer file (the webhook's own answer to the benchmark's review) it sends exactly those bytes with the
// request's uid, so webhook and baseline differ only in the work; without one it sends a tiny patch.
import Fastify from 'fastify';
import { readFileSync } from 'node:fs';

const [certFile, keyFile, answerFile] = process.argv.slice(2);
const UID_MARK = '\u0000uid\u0000';
const tinyAnswer = {
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  response: { uid: UID_MARK, allowed: true, patchType: 'JSONPatch', patch: Buffer.from('[{"op":"add","path":"/metadata/annotations","value":{}}]').toString('base64') },
};
const answer = answerFile ? (JSON.parse(readFileSync(answerFile, 'utf8')) as typeof tinyAnswer) : tinyAnswer;
const [before, after] = JSON.stringify({ ...answer, response: { ...answer.response, uid: UID_MARK } }).split(JSON.stringify(UID_MARK)) as [string, string];

const app = Fastify({ https: { cert: readFileSync(certFile ?? ''), key: readFileSync(keyFile ?? '') }, bodyLimit: 8 * 1024 * 1024 });
app.post('/sync', async (request, reply) => {
  const uid = (request.body as { request?: { uid?: string } }).request?.uid ?? '';
  return reply.type('application/json; charset=utf-8').send(`${before}${JSON.stringify(uid)}${after}`);
});

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
process.once('SIGTERM', () => process.exit(0));
process.once('SIGINT', () => process.exit(0)); // a baseline has nothing to drain
