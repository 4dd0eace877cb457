// Test content for `ecr-anywhere mirror`, made here: multi-platform images (an OCI index of per-platform images
// sharing a layer) written as OCI layouts and pushed with skopeo, a Helm chart that uses them (packed with
// `helm package`, pushed with `helm push`), and an https chart repository (index.yaml from `helm repo index`)
// served on loopback with the registry's own certificate.
import { randomBytes, createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { mustRun } from './helm.js';
import type { StartedRegistry } from './registry.js';

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** A one-file tar archive (ustar), deterministic: fixed owner, mode and time. */
export function tarOf(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512, 0);
  header.write(name, 0, 100, 'utf8');
  header.write('0000644\0', 100, 8, 'ascii');
  header.write('0000000\0', 108, 8, 'ascii');
  header.write('0000000\0', 116, 8, 'ascii');
  header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124, 12, 'ascii');
  header.write('00000000000\0', 136, 12, 'ascii');
  header.write('        ', 148, 8, 'ascii');
  header.write('0', 156, 1, 'ascii');
  header.write('ustar\0', 257, 6, 'ascii');
  header.write('00', 263, 2, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512, 0);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024, 0)]);
}

export interface BuiltImage {
  /** OCI layout directory; `oci:<layout>:<tag>` for skopeo. */
  readonly layout: string;
  readonly tag: string;
  readonly indexDigest: string;
  readonly platformDigests: readonly string[];
  /** Every blob (layers and configs) with its size, once each. */
  readonly blobs: ReadonlyMap<string, number>;
}

export interface ImageSpec {
  readonly tag: string;
  readonly architectures?: readonly string[];
  /** The layer every platform (and every image built with the same bytes) shares. */
  readonly sharedLayer: Buffer;
  /** Size of each platform's own layer (random content, so it does not compress away). */
  readonly ownLayerBytes?: number;
}

/** Writes a multi-platform image as an OCI layout in `dir`: an index of one image per architecture. */
export async function buildMultiPlatformImage(dir: string, spec: ImageSpec): Promise<BuiltImage> {
  const blobsDir = join(dir, 'blobs', 'sha256');
  await mkdir(blobsDir, { recursive: true });
  const blobs = new Map<string, number>();
  const store = async (bytes: Buffer): Promise<{ digest: string; size: number }> => {
    const digest = sha256(bytes);
    await writeFile(join(blobsDir, digest.slice('sha256:'.length)), bytes);
    blobs.set(digest, bytes.length);
    return { digest, size: bytes.length };
  };
  const sharedTar = tarOf('shared.bin', spec.sharedLayer);
  const shared = await store(gzipSync(sharedTar));
  const manifests = [];
  for (const architecture of spec.architectures ?? ['amd64', 'arm64']) {
    const ownTar = tarOf('platform.txt', Buffer.concat([Buffer.from(`linux/${architecture} ${spec.tag}\n`), randomBytes(spec.ownLayerBytes ?? 64)]));
    const own = await store(gzipSync(ownTar));
    const config = await store(
      Buffer.from(
        JSON.stringify({
          architecture,
          os: 'linux',
          created: '1970-01-01T00:00:00Z',
          config: { Cmd: ['/platform.txt'] },
          rootfs: { type: 'layers', diff_ids: [sha256(sharedTar), sha256(ownTar)] },
        }),
      ),
    );
    const manifest = await store(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
          layers: [
            { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...shared },
            { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...own },
          ],
        }),
      ),
    );
    blobs.delete(manifest.digest);
    manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, platform: { os: 'linux', architecture } });
  }
  const index = await store(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests })));
  blobs.delete(index.digest);
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', ...index, annotations: { 'org.opencontainers.image.ref.name': spec.tag } }],
    }),
  );
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  return { layout: dir, tag: spec.tag, indexDigest: index.digest, platformDigests: manifests.map((entry) => entry.digest), blobs };
}

/** skopeo's flags for a registry made by scripts/registry-up.sh (its CA; credentials unless anonymous). */
export function skopeoAuth(registry: StartedRegistry, direction: 'src' | 'dest' | 'inspect'): string[] {
  const prefix = direction === 'inspect' ? '' : `${direction}-`;
  const auth = registry.password === '' ? [] : [`--${prefix}creds`, `${registry.user}:${registry.password}`];
  return [`--${prefix}cert-dir`, registry.certDir, ...auth];
}

/** Pushes every platform and the index of a built image to `registry/repository:tag`. */
export async function pushImage(image: BuiltImage, registry: StartedRegistry, repository: string): Promise<string> {
  await mustRun('skopeo', ['--policy', registry.policyFile, 'copy', '--quiet', '--all', '--preserve-digests', ...skopeoAuth(registry, 'dest'), `oci:${image.layout}:${image.tag}`, `docker://${registry.address}/${repository}:${image.tag}`], {
    timeoutMs: 120_000,
  });
  return `${registry.address}/${repository}:${image.tag}`;
}

/** `skopeo inspect --raw` digest of a reference (the manifest's own digest, index included). */
export async function remoteDigest(registry: StartedRegistry, reference: string): Promise<string> {
  const raw = await mustRun('skopeo', ['--policy', registry.policyFile, 'inspect', '--raw', ...skopeoAuth(registry, 'inspect'), `docker://${reference}`], { timeoutMs: 60_000 });
  return sha256(Buffer.from(raw));
}

export interface ChartSpec {
  readonly name: string;
  readonly version: string;
  /** values.yaml of the chart. */
  readonly values: Record<string, unknown>;
  /** templates/<file> → content. */
  readonly templates: Readonly<Record<string, string>>;
}

/** Writes the chart and packs it with `helm package`; returns the archive path. */
export async function packageChart(dir: string, spec: ChartSpec, env: NodeJS.ProcessEnv): Promise<string> {
  const chartDir = join(dir, spec.name);
  await mkdir(join(chartDir, 'templates'), { recursive: true });
  await writeFile(join(chartDir, 'Chart.yaml'), `apiVersion: v2\nname: ${spec.name}\nversion: ${spec.version}\nappVersion: "${spec.version}"\ndescription: mirror test chart\n`);
  await writeFile(join(chartDir, 'values.yaml'), JSON.stringify(spec.values, null, 2));
  for (const [file, content] of Object.entries(spec.templates)) await writeFile(join(chartDir, 'templates', file), content);
  const out = join(dir, 'packages');
  await mkdir(out, { recursive: true });
  await mustRun('helm', ['package', chartDir, '--destination', out], { env });
  return join(out, `${spec.name}-${spec.version}.tgz`);
}

/** A private helm home (config, cache, registry logins), so tests never touch the user's. */
export async function helmEnv(extra: NodeJS.ProcessEnv = {}): Promise<{ env: NodeJS.ProcessEnv; close: () => Promise<void> }> {
  const home = await mkdtemp(join(tmpdir(), 'ecr-anywhere-mirror-helm-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
    ...extra,
  };
  return { env, close: () => rm(home, { recursive: true, force: true }) };
}

/** `helm push` of an archive to `oci://<registry>/<path>` (logging in first when the registry wants credentials). */
export async function pushChart(archive: string, registry: StartedRegistry, path: string, env: NodeJS.ProcessEnv): Promise<void> {
  if (registry.password !== '') {
    await mustRun('helm', ['registry', 'login', registry.address, '--username', registry.user, '--password-stdin', '--ca-file', registry.caFile], { env, input: registry.password });
  }
  await mustRun('helm', ['push', archive, `oci://${registry.address}/${path}`, '--ca-file', registry.caFile], { env, timeoutMs: 60_000 });
}

export interface ChartRepositoryServer {
  readonly url: string;
  /** Requests seen, for asserting credentials were (or were not) sent. */
  readonly requests: Array<{ readonly path: string; readonly authorized: boolean }>;
  close(): Promise<void>;
}

/**
 * An https chart repository on loopback: the archives in `directory` and the index.yaml `helm repo index` writes
 * for them, behind basic auth when `credentials` is given.
 */
export async function serveChartRepository(directory: string, registry: StartedRegistry, env: NodeJS.ProcessEnv, credentials?: { username: string; password: string }): Promise<ChartRepositoryServer> {
  const requests: Array<{ path: string; authorized: boolean }> = [];
  const expected = credentials === undefined ? undefined : `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  const server: Server = createServer({ cert: await readFile(registry.tlsCertFile), key: await readFile(registry.tlsKeyFile) }, (request, response) => {
    const path = new URL(request.url ?? '/', 'https://127.0.0.1').pathname;
    const authorized = expected !== undefined && request.headers.authorization === expected;
    requests.push({ path, authorized });
    if (expected !== undefined && !authorized) {
      response.writeHead(401, { 'www-authenticate': 'Basic realm="charts"' }).end();
      return;
    }
    const name = path.split('/').pop() ?? '';
    readFile(join(directory, name)).then(
      (bytes) => response.writeHead(200, { 'content-type': name.endsWith('.yaml') ? 'text/yaml' : 'application/gzip' }).end(bytes),
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/charts`;
  if (!(await readdir(directory)).some((file) => file.endsWith('.tgz'))) throw new Error(`no chart archive in ${directory}`);
  await mustRun('helm', ['repo', 'index', directory, '--url', url], { env });
  return {
    url,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
