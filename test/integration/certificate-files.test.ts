// CertificateFiles on real files: swaps are picked up, broken pairs are ignored (and said once), unchanged files
// change nothing.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSelfSignedServing, type PemPair } from '../../src/tls/certificates.js';
import { CertificateFiles } from '../../src/tls/certificate-files.js';
import { captureLogs } from '../../harness/log-capture.js';

const POLL_MS = 40;

/** Polls `probe` until it returns true, for at most `timeoutMs`: a deadline, never a fixed wait. */
async function eventually(probe: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
const pairFor = (): PemPair => {
  const { certPem, keyPem } = createSelfSignedServing({ hosts: ['localhost'], now: new Date(), validityDays: 1 });
  return { certPem, keyPem };
};

describe('CertificateFiles', () => {
  let dir: string;
  const certFile = (): string => join(dir, 'tls.crt');
  const keyFile = (): string => join(dir, 'tls.key');
  const install = async (pair: PemPair): Promise<void> => {
    await writeFile(certFile(), pair.certPem);
    await writeFile(keyFile(), pair.keyPem);
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecr-anywhere-certfiles-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // Each poll is driven by hand (check()), so "never served" is a fact about a poll that ran, not a guess after a sleep.
  it('hands over a new pair, ignores a mismatched one with a single warning, and ignores unchanged files', async () => {
    const first = pairFor();
    await install(first);
    const logs = captureLogs('info');
    const served: PemPair[] = [];
    const files = new CertificateFiles({ certFile: certFile(), keyFile: keyFile(), pollMs: POLL_MS, logger: logs.logger, onChange: (pair) => served.push(pair) });
    assert.deepEqual(await files.load(), first);

    assert.equal(await files.check(), 'unchanged');
    assert.equal(served.length, 0, 'unchanged files are not handed over again');

    await writeFile(certFile(), ''); // caught half-written: an empty certificate beside the old, valid key
    assert.equal(await files.check(), 'invalid');
    assert.equal(served.length, 0, 'an empty certificate is never served');

    const second = pairFor();
    const third = pairFor();
    await install({ certPem: second.certPem, keyPem: third.keyPem }); // a key that does not match its certificate
    assert.equal(await files.check(), 'invalid');
    assert.equal(await files.check(), 'invalid');
    assert.equal(served.length, 0, 'a mismatched pair is never served');
    assert.equal(logs.lines.filter((line) => line.includes('certificate files unreadable')).length, 1, logs.text());
    assert.ok(!logs.text().includes('PRIVATE KEY'), 'no key material in the warning');

    await install(second);
    assert.equal(await files.check(), 'reloaded');
    assert.deepEqual(served, [second]);
    assert.match(logs.text(), /reloaded the TLS certificate/);
    assert.equal(await files.check(), 'unchanged');

    // A later broken spell is reported again: the warning is once per spell, not once per process.
    await writeFile(keyFile(), 'not a key');
    assert.equal(await files.check(), 'invalid');
    assert.equal(logs.lines.filter((line) => line.includes('certificate files unreadable')).length, 2, logs.text());
    assert.deepEqual(served, [second]);
  });

  it('polls on its own once started: a swap is served within a few poll intervals', async () => {
    const first = pairFor();
    await install(first);
    const served: PemPair[] = [];
    const files = new CertificateFiles({ certFile: certFile(), keyFile: keyFile(), pollMs: POLL_MS, logger: captureLogs().logger, onChange: (pair) => served.push(pair) });
    await files.load();
    files.start();
    try {
      const second = pairFor();
      await install(second);
      await eventually(() => served.length > 0, 5_000, 'serving the swapped pair');
      assert.deepEqual(served, [second]);
    } finally {
      files.stop();
    }
  });

  it('refuses to start from a broken pair, naming both files', async () => {
    await writeFile(certFile(), 'not a certificate');
    const files = new CertificateFiles({ certFile: certFile(), keyFile: keyFile(), pollMs: POLL_MS, logger: captureLogs().logger, onChange: () => undefined });
    await assert.rejects(
      files.load(),
      (error: Error & { code?: string }) => error.code === 'ECR_ANYWHERE_TLS_CERTIFICATE_FILES' && error.message.includes(certFile()) && error.message.includes(keyFile()),
    );
  });
});
