// The manifest media types the mirror copies, and how to read the blobs and children a manifest refers to.
import { createHash } from 'node:crypto';
import { EcrAnywhereError, ErrorCodes } from '../../common/errors.js';

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';
export const HELM_CHART_CONTENT = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';

/** Every manifest kind we accept, for the Accept header (schema 1 is not: registries stopped serving it). */
export const MANIFEST_TYPES = [OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST] as const;

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: { readonly os?: string; readonly architecture?: string; readonly variant?: string };
}

export type ManifestContent =
  | { readonly kind: 'index'; readonly manifests: readonly Descriptor[] }
  | { readonly kind: 'image'; readonly config: Descriptor; readonly layers: readonly Descriptor[] };

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function descriptor(value: unknown, where: string): Descriptor {
  const candidate = value as Partial<Descriptor> | null;
  if (candidate === null || typeof candidate !== 'object' || typeof candidate.digest !== 'string' || typeof candidate.size !== 'number' || typeof candidate.mediaType !== 'string') {
    throw new Error(`${where} is not a descriptor {mediaType, digest, size}`);
  }
  return candidate as Descriptor;
}

/** Reads what a manifest refers to; `mediaType` is the Content-Type the registry answered with. */
export function readManifest(bytes: Uint8Array, mediaType: string): ManifestContent {
  let parsed: { mediaType?: unknown; manifests?: unknown; config?: unknown; layers?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8')) as typeof parsed;
  } catch {
    throw new Error('the manifest is not JSON');
  }
  const type = typeof parsed.mediaType === 'string' ? parsed.mediaType : mediaType.split(';')[0]?.trim() ?? '';
  if (type === OCI_INDEX || type === DOCKER_MANIFEST_LIST || (Array.isArray(parsed.manifests) && parsed.config === undefined)) {
    if (!Array.isArray(parsed.manifests)) throw new Error('the index has no manifests list');
    return { kind: 'index', manifests: parsed.manifests.map((entry, index) => descriptor(entry, `manifests[${index}]`)) };
  }
  if (type === OCI_MANIFEST || type === DOCKER_MANIFEST || parsed.config !== undefined) {
    const layers = Array.isArray(parsed.layers) ? parsed.layers : [];
    return { kind: 'image', config: descriptor(parsed.config, 'config'), layers: layers.map((entry, index) => descriptor(entry, `layers[${index}]`)) };
  }
  throw new EcrAnywhereError(ErrorCodes.MIRROR_UNSUPPORTED, `unsupported manifest media type "${type}" (schema 1 and other kinds are not copied)`);
}

/** The media type to send a manifest back with: its own field wins over what the source registry labelled it. */
export function manifestMediaType(bytes: Uint8Array, answered: string): string {
  try {
    const own = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { mediaType?: unknown }).mediaType;
    if (typeof own === 'string' && own !== '') return own;
  } catch {
    // readManifest reports unreadable manifests; here the registry's label is the best we have.
  }
  return answered.split(';')[0]?.trim() || OCI_MANIFEST;
}
