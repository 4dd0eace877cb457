// Runs the mirror's OCI client against real registries and prints what each operation gave, as JSON. A child
// process of test/e2e/mirror-oci-client.test.ts: Node reads NODE_EXTRA_CA_CERTS only at start, and the registries'
// CAs are made after the test process started. The assertions stay in the test.
import { randomBytes } from 'node:crypto';
import { RegistryClient, RegistryError } from '../src/mirror/oci/registry-client.js';
import { OCI_INDEX, OCI_MANIFEST, sha256Digest } from '../src/mirror/oci/media-types.js';

export interface ProbeFacts {
  readonly auth: { readonly address: string; readonly user: string; readonly password: string };
  readonly tokenProxy: { readonly address: string; readonly user: string; readonly password: string };
  readonly lyingProxy: { readonly address: string; readonly user: string; readonly password: string };
}

export type ProbeResult = { ok: true; value: unknown } | { ok: false; failure: string; message: string };

async function attempt(work: () => Promise<unknown>): Promise<ProbeResult> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, failure: error instanceof RegistryError ? error.failure : 'other', message: error instanceof Error ? error.message : String(error) };
  }
}

async function readAll(content: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const piece of content) parts.push(Buffer.from(piece));
  return Buffer.concat(parts);
}

/** Pushes a two-platform OCI index to `repository:tag` with `client`; returns its digest and the children's. */
async function pushIndex(client: RegistryClient, repository: string, tag: string): Promise<{ index: string; children: string[] }> {
  const shared = randomBytes(3000);
  const sharedDigest = sha256Digest(shared);
  await client.uploadBlob(repository, sharedDigest, [shared], 1024);
  const children: Array<{ mediaType: string; digest: string; size: number; platform: { os: string; architecture: string } }> = [];
  for (const architecture of ['amd64', 'arm64']) {
    const config = Buffer.from(JSON.stringify({ architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    await client.uploadBlob(repository, sha256Digest(config), [config], 1024);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256Digest(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sharedDigest, size: shared.length }],
      }),
    );
    const digest = await client.putManifest(repository, sha256Digest(manifest), manifest, OCI_MANIFEST);
    children.push({ mediaType: OCI_MANIFEST, digest, size: manifest.length, platform: { os: 'linux', architecture } });
  }
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: children }));
  return { index: await client.putManifest(repository, tag, index, OCI_INDEX), children: children.map((child) => child.digest) };
}

export async function probe(facts: ProbeFacts): Promise<Record<string, ProbeResult>> {
  const auth = new RegistryClient({ host: facts.auth.address, credentials: { username: facts.auth.user, password: facts.auth.password } });
  const content = randomBytes(5000);
  const digest = sha256Digest(content);
  const results: Record<string, ProbeResult> = {};
  results.chunkedUpload = await attempt(async () => {
    const sent = await auth.uploadBlob('oci/a', digest, [content.subarray(0, 1500), content.subarray(1500)], 1024);
    const back = await readAll(await auth.openBlob('oci/a', digest));
    return { sent, present: await auth.hasBlob('oci/a', digest), sameBytes: back.equals(content) };
  });
  results.mount = await attempt(async () => ({ mounted: await auth.mountBlob('oci/b', digest, 'oci/a'), present: await auth.hasBlob('oci/b', digest) }));
  results.mountOfUnknownBlob = await attempt(async () => {
    const other = randomBytes(100);
    const opened = await auth.mountBlob('oci/c', sha256Digest(other), 'oci/a');
    if (opened === true) return 'mounted a blob that does not exist';
    await auth.uploadBlob('oci/c', sha256Digest(other), [other], 1024, opened);
    return { uploadedThroughOpenedSession: await auth.hasBlob('oci/c', sha256Digest(other)) };
  });
  const wrongDigest = sha256Digest(Buffer.from('something else'));
  results.wrongDigest = await attempt(() => auth.uploadBlob('oci/d', wrongDigest, [content], 1024));
  results.wrongDigestLeftNothing = await attempt(() => auth.hasBlob('oci/d', wrongDigest));
  results.index = await attempt(async () => {
    const pushed = await pushIndex(auth, 'oci/a', 'multi');
    const fetched = await auth.getManifest('oci/a', 'multi');
    return { ...pushed, fetchedDigest: fetched.digest, byTag: await auth.manifestDigest('oci/a', 'multi'), missing: (await auth.manifestDigest('oci/a', 'missing')) ?? null };
  });
  results.missingTag = await attempt(() => auth.getManifest('oci/a', 'missing'));
  results.anonymousAtAuthRegistry = await attempt(() => new RegistryClient({ host: facts.auth.address }).hasBlob('oci/a', digest));
  results.wrongPassword = await attempt(() => new RegistryClient({ host: facts.auth.address, credentials: { username: facts.auth.user, password: 'wrong' } }).hasBlob('oci/a', digest));
  const viaToken = new RegistryClient({ host: facts.tokenProxy.address, credentials: { username: facts.tokenProxy.user, password: facts.tokenProxy.password } });
  results.bearer = await attempt(async () => {
    const pushed = await pushIndex(viaToken, 'bearer/repo', 'v1');
    return { ...pushed, fetchedDigest: (await viaToken.getManifest('bearer/repo', 'v1')).digest };
  });
  results.bearerWrongCredentials = await attempt(() => new RegistryClient({ host: facts.tokenProxy.address, credentials: { username: facts.tokenProxy.user, password: 'wrong' } }).getManifest('bearer/repo', 'v1'));
  const lying = new RegistryClient({ host: facts.lyingProxy.address, credentials: { username: facts.lyingProxy.user, password: facts.lyingProxy.password } });
  results.lyingDigest = await attempt(() => lying.getManifest('bearer/repo', 'v1'));
  results.unreachable = await attempt(() => new RegistryClient({ host: '127.0.0.1:9' }).hasBlob('x/y', digest));
  return results;
}

if (process.argv[2] === '--facts') {
  probe(JSON.parse(process.argv[3] ?? '{}') as ProbeFacts).then(
    (results) => process.stdout.write(JSON.stringify(results)),
    (error: unknown) => {
      process.stderr.write(String(error));
      process.exitCode = 1;
    },
  );
}
