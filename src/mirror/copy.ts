// Copies one artefact (image, multi-platform index, or chart stored as OCI) from a source registry into a target
// repository, by digest: every platform of an index, each blob once per run (a blob already in the target
// repository is skipped; one pushed to another target repository this run is mounted, not sent again), manifests
// children first so that a tag never points at something incomplete.
import type { RegistryClient } from './oci/registry-client.js';
import { manifestMediaType, readManifest, type Descriptor } from './oci/media-types.js';

export interface CopyCounts {
  bytesMoved: number;
  blobsCopied: number;
  blobsMounted: number;
  blobsPresent: number;
  manifestsPushed: number;
}

export interface CopyOutcome {
  readonly digest: string;
  /** The target already held this digest under this tag: nothing was sent. */
  readonly unchanged: boolean;
  readonly counts: CopyCounts;
}

export interface CopyOptions {
  readonly chunkSize: number;
  /** Reads only: counts what would move, writes nothing. */
  readonly dryRun: boolean;
  readonly onBytes?: (bytes: number) => void;
}

export function emptyCounts(): CopyCounts {
  return { bytesMoved: 0, blobsCopied: 0, blobsMounted: 0, blobsPresent: 0, manifestsPushed: 0 };
}

export function addCounts(total: CopyCounts, more: CopyCounts): void {
  total.bytesMoved += more.bytesMoved;
  total.blobsCopied += more.blobsCopied;
  total.blobsMounted += more.blobsMounted;
  total.blobsPresent += more.blobsPresent;
  total.manifestsPushed += more.manifestsPushed;
}

/**
 * Run-wide knowledge of which target repository holds which blob, and the uploads in flight: two images sharing a
 * layer, copied at once, send it once and mount it into the second repository.
 */
export class BlobLedger {
  private readonly holders = new Map<string, string>();
  private readonly uploads = new Map<string, Promise<void>>();

  record(digest: string, repository: string): void {
    if (!this.holders.has(digest)) this.holders.set(digest, repository);
  }

  /** The repository holding `digest`, waiting for an upload of it in flight. */
  async holder(digest: string): Promise<string | undefined> {
    await this.uploads.get(digest)?.catch(() => undefined);
    return this.holders.get(digest);
  }

  /** Runs the upload unless one of the same blob is in flight; then the caller asks `holder` again. */
  uploading(digest: string, upload: () => Promise<void>): Promise<void> | undefined {
    if (this.uploads.has(digest)) return undefined;
    const running = upload().finally(() => this.uploads.delete(digest));
    this.uploads.set(digest, running);
    return running;
  }
}

export interface CopyRequest {
  readonly source: RegistryClient;
  readonly sourceRepository: string;
  /** Tag or digest at the source. */
  readonly sourceReference: string;
  readonly target: RegistryClient;
  readonly targetRepository: string;
  /** Tag to set in the target; undefined pushes by digest only. */
  readonly targetTag: string | undefined;
}

const MAX_ATTEMPTS_PER_BLOB = 3;

async function ensureBlob(request: CopyRequest, blob: Descriptor, ledger: BlobLedger, options: CopyOptions, counts: CopyCounts): Promise<void> {
  const { target, targetRepository: repository } = request;
  for (let attempt = 0; attempt < MAX_ATTEMPTS_PER_BLOB; attempt += 1) {
    if (await target.hasBlob(repository, blob.digest)) {
      counts.blobsPresent += 1;
      ledger.record(blob.digest, repository);
      return;
    }
    const holder = await ledger.holder(blob.digest);
    let opened: URL | undefined;
    if (holder !== undefined && holder !== repository) {
      if (options.dryRun) {
        counts.blobsMounted += 1;
        return;
      }
      const mounted = await target.mountBlob(repository, blob.digest, holder);
      if (mounted === true) {
        counts.blobsMounted += 1;
        return;
      }
      opened = mounted;
    }
    const upload = ledger.uploading(blob.digest, async () => {
      if (options.dryRun) {
        counts.bytesMoved += blob.size;
        counts.blobsCopied += 1;
        ledger.record(blob.digest, repository);
        return;
      }
      const content = await request.source.openBlob(request.sourceRepository, blob.digest);
      const counted = (async function* () {
        for await (const piece of content) {
          options.onBytes?.(piece.length);
          yield piece;
        }
      })();
      counts.bytesMoved += await target.uploadBlob(repository, blob.digest, counted, options.chunkSize, opened);
      counts.blobsCopied += 1;
      ledger.record(blob.digest, repository);
    });
    if (upload !== undefined) {
      await upload;
      return;
    }
    // Another image is sending this blob right now: wait, then mount it from there.
  }
  throw new Error(`blob ${blob.digest} could not be placed in ${repository} after ${MAX_ATTEMPTS_PER_BLOB} attempts`);
}

async function copyManifest(request: CopyRequest, bytes: Buffer, mediaType: string, reference: string, ledger: BlobLedger, options: CopyOptions, counts: CopyCounts): Promise<void> {
  const content = readManifest(bytes, mediaType);
  if (content.kind === 'index') {
    for (const child of content.manifests) {
      if ((await request.target.manifestDigest(request.targetRepository, child.digest)) === child.digest) continue;
      const fetched = await request.source.getManifest(request.sourceRepository, child.digest);
      await copyManifest(request, fetched.bytes, fetched.mediaType, child.digest, ledger, options, counts);
    }
  } else {
    for (const blob of [content.config, ...content.layers]) await ensureBlob(request, blob, ledger, options, counts);
  }
  if (!options.dryRun) await request.target.putManifest(request.targetRepository, reference, bytes, manifestMediaType(bytes, mediaType));
  counts.manifestsPushed += 1;
}

export async function copyArtifact(request: CopyRequest, ledger: BlobLedger, options: CopyOptions): Promise<CopyOutcome> {
  const fetched = await request.source.getManifest(request.sourceRepository, request.sourceReference);
  const reference = request.targetTag ?? fetched.digest;
  const counts = emptyCounts();
  if ((await request.target.manifestDigest(request.targetRepository, reference)) === fetched.digest) {
    return { digest: fetched.digest, unchanged: true, counts };
  }
  await copyManifest(request, fetched.bytes, fetched.mediaType, reference, ledger, options, counts);
  return { digest: fetched.digest, unchanged: false, counts };
}

/** Uploads a manifest and its blobs held in memory (a chart packed here as an OCI artifact). */
export async function pushArtifact(
  target: RegistryClient,
  repository: string,
  tag: string,
  artifact: { readonly manifest: Buffer; readonly mediaType: string; readonly digest: string; readonly blobs: ReadonlyArray<{ readonly digest: string; readonly bytes: Buffer }> },
  options: CopyOptions,
): Promise<CopyOutcome> {
  const counts = emptyCounts();
  if ((await target.manifestDigest(repository, tag)) === artifact.digest) return { digest: artifact.digest, unchanged: true, counts };
  for (const blob of artifact.blobs) {
    if (await target.hasBlob(repository, blob.digest)) {
      counts.blobsPresent += 1;
      continue;
    }
    if (!options.dryRun) {
      await target.uploadBlob(repository, blob.digest, [blob.bytes], options.chunkSize);
    }
    options.onBytes?.(blob.bytes.length);
    counts.bytesMoved += blob.bytes.length;
    counts.blobsCopied += 1;
  }
  if (!options.dryRun) await target.putManifest(repository, tag, artifact.manifest, artifact.mediaType);
  counts.manifestsPushed += 1;
  return { digest: artifact.digest, unchanged: false, counts };
}
