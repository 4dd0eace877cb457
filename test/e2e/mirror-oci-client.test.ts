// The mirror's own OCI distribution client against real registries: Debian's docker-registry with basic auth and
// an anonymous one behind a bearer-token front. Chunked upload, cross-repository mount, OCI indexes, digests
// checked both ways, and each auth failure told apart. The client runs in a child process (see the probe).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { ProbeFacts, ProbeResult } from '../../harness/oci-client-probe.js';
import { remoteDigest } from '../../harness/mirror-content.js';
import { startRegistry, type StartedRegistry } from '../../harness/registry.js';
import { startTokenAuthProxy, type TokenAuthProxy } from '../../harness/token-auth-proxy.js';
import { REPO_ROOT } from '../../harness/tools.js';

const run = promisify(execFile);

describe('the mirror OCI client against real registries', { timeout: 300_000 }, () => {
  let auth: StartedRegistry;
  let anonymous: StartedRegistry;
  let tokenProxy: TokenAuthProxy;
  let lyingProxy: TokenAuthProxy;
  let dir: string;
  let results: Record<string, ProbeResult>;
  const proxyPassword = `proxy-${randomBytes(8).toString('hex')}`;

  const value = <T>(name: string): T => {
    const result = results[name];
    assert.ok(result?.ok, `${name}: ${JSON.stringify(result)}`);
    return result.value as T;
  };
  const failed = (name: string): { failure: string; message: string } => {
    const result = results[name];
    assert.ok(result !== undefined && !result.ok, `${name} should have failed: ${JSON.stringify(result)}`);
    return result;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecr-anywhere-oci-client-'));
    auth = await startRegistry({ password: `pw-${randomBytes(8).toString('hex')}` });
    anonymous = await startRegistry({ anonymous: true });
    tokenProxy = await startTokenAuthProxy(anonymous, 'robot', proxyPassword);
    lyingProxy = await startTokenAuthProxy(anonymous, 'robot', proxyPassword);
    lyingProxy.lieAboutDigest = true;
    const bundle = join(dir, 'ca.pem');
    await writeFile(bundle, `${await readFile(auth.caFile, 'utf8')}\n${await readFile(anonymous.caFile, 'utf8')}`);
    const facts: ProbeFacts = {
      auth: { address: auth.address, user: auth.user, password: auth.password },
      tokenProxy: { address: tokenProxy.address, user: 'robot', password: proxyPassword },
      lyingProxy: { address: lyingProxy.address, user: 'robot', password: proxyPassword },
    };
    const { stdout } = await run(process.execPath, [join(REPO_ROOT, 'dist', 'harness', 'oci-client-probe.js'), '--facts', JSON.stringify(facts)], {
      env: { PATH: process.env.PATH ?? '', NODE_EXTRA_CA_CERTS: bundle },
      timeout: 120_000,
    });
    results = JSON.parse(stdout) as Record<string, ProbeResult>;
  });

  after(async () => {
    await tokenProxy?.close();
    await lyingProxy?.close();
    await auth?.stop();
    await anonymous?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('uploads in chunks and reads the same bytes back', () => {
    assert.deepEqual(value('chunkedUpload'), { sent: 5000, present: true, sameBytes: true });
  });

  it('mounts a blob across repositories, and uploads through the session a refused mount opens', () => {
    assert.deepEqual(value('mount'), { mounted: true, present: true });
    assert.deepEqual(value('mountOfUnknownBlob'), { uploadedThroughOpenedSession: true });
  });

  it('refuses to commit bytes that do not match the digest', () => {
    assert.equal(failed('wrongDigest').failure, 'digest');
    assert.equal(value('wrongDigestLeftNothing'), false);
  });

  it('pushes and reads an OCI index whose digest skopeo sees too', async () => {
    const index = value<{ index: string; children: string[]; fetchedDigest: string; byTag: string; missing: null }>('index');
    assert.equal(index.fetchedDigest, index.index);
    assert.equal(index.byTag, index.index);
    assert.equal(index.missing, null);
    assert.equal(await remoteDigest(auth, `${auth.address}/oci/a:multi`), index.index);
    for (const child of index.children) assert.equal(await remoteDigest(auth, `${auth.address}/oci/a@${child}`), child);
    assert.equal(failed('missingTag').failure, 'not-found');
  });

  it('tells no credentials, wrong credentials and an unreachable registry apart', () => {
    assert.match(failed('anonymousAtAuthRegistry').message, /asks for credentials \(basic auth\) and none are configured/);
    assert.equal(failed('wrongPassword').failure, 'auth');
    assert.equal(failed('unreachable').failure, 'unreachable');
    for (const name of ['wrongPassword', 'anonymousAtAuthRegistry']) assert.ok(!failed(name).message.includes(auth.password));
  });

  it('answers a bearer challenge with a token from the realm, scoped to the repository', async () => {
    const bearer = value<{ index: string; fetchedDigest: string }>('bearer');
    assert.equal(bearer.fetchedDigest, bearer.index);
    assert.ok(tokenProxy.tokensIssued.length >= 1);
    assert.ok(tokenProxy.scopes.every((scope) => scope === 'repository:bearer/repo:pull,push'), tokenProxy.scopes.join(' '));
    assert.equal(await remoteDigest(anonymous, `${anonymous.address}/bearer/repo:v1`), bearer.index);
    assert.match(failed('bearerWrongCredentials').message, /token service refused a token/);
  });

  it('checks Docker-Content-Digest against the bytes it got', () => {
    const lie = failed('lyingDigest');
    assert.equal(lie.failure, 'digest');
    assert.match(lie.message, /the registry said sha256:0{64} but the manifest's bytes hash to/);
  });
});
