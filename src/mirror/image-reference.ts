// Image references as Docker and containerd read them: `[registry/]path[:tag][@digest]`, with Docker Hub's defaults
// (no registry → docker.io; a one-part path on docker.io → library/<path>; neither tag nor digest → latest).
// Parsing follows the distribution/reference grammar, so a reference we accept is one a kubelet pulls the same way.

export interface ImageReference {
  /** Normalised registry host (lower case, port kept): `docker.io`, `quay.io`, `127.0.0.1:5000`. */
  readonly registry: string;
  /** Repository path inside the registry, e.g. `library/nginx`. */
  readonly repository: string;
  readonly tag: string | undefined;
  /** `sha256:<64 hex>` when pinned. */
  readonly digest: string | undefined;
}

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-f0-9]{32,}$/;
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d{1,5})?$/;

export type ReferenceResult = { readonly ok: true; readonly reference: ImageReference } | { readonly ok: false; readonly reason: string };

/** True when the first path part names a registry rather than a Docker Hub namespace (as Docker decides it). */
function isRegistryPart(part: string): boolean {
  return part.includes('.') || part.includes(':') || part === 'localhost' || part !== part.toLowerCase();
}

export function normaliseRegistry(host: string): string {
  const lower = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB : lower;
}

/** Parses and normalises one reference; `defaultTag` false keeps a reference without tag tagless (for values matching). */
export function parseImageReference(text: string, options: { readonly defaultTag?: boolean } = {}): ReferenceResult {
  const input = text.trim();
  if (input === '') return { ok: false, reason: 'the reference is empty' };
  if (/\s/.test(input)) return { ok: false, reason: 'a reference holds no spaces' };
  if (input.includes('://')) return { ok: false, reason: 'give the reference without a scheme (registry/path:tag)' };

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return { ok: false, reason: `"${digest}" is not a digest (algorithm:hex, e.g. sha256:<64 hex>)` };
    if (digest.startsWith('sha256:') && !SHA256_DIGEST.test(digest)) return { ok: false, reason: 'a sha256 digest has 64 lower-case hex digits' };
  }

  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  if (parts.length > 1 && isRegistryPart(parts[0] ?? '')) {
    const host = parts.shift() ?? '';
    if (!HOST.test(host)) return { ok: false, reason: `"${host}" is not a registry host` };
    registry = normaliseRegistry(host);
  }

  let tag: string | undefined;
  const last = parts[parts.length - 1] ?? '';
  const colon = last.lastIndexOf(':');
  if (colon !== -1) {
    tag = last.slice(colon + 1);
    parts[parts.length - 1] = last.slice(0, colon);
    if (!TAG.test(tag)) return { ok: false, reason: `"${tag}" is not a tag (letters, digits, '_', '.', '-'; at most 128)` };
  }
  for (const part of parts) {
    if (!PATH_COMPONENT.test(part)) return { ok: false, reason: `"${part}" is not a repository path part (lower-case letters and digits, separated by '.', '_', '__' or '-')` };
  }
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  if (repository.length > 255) return { ok: false, reason: 'the repository path is longer than 255 characters' };
  if (tag === undefined && digest === undefined && options.defaultTag !== false) tag = 'latest';
  return { ok: true, reference: { registry, repository, tag, digest } };
}

/** `registry/repository` — the identity of a repository, whatever the tag. */
export function repositoryOf(reference: Pick<ImageReference, 'registry' | 'repository'>): string {
  return `${reference.registry}/${reference.repository}`;
}

/** The canonical text: `registry/repository[:tag][@digest]`. */
export function formatReference(reference: ImageReference): string {
  return `${repositoryOf(reference)}${reference.tag === undefined ? '' : `:${reference.tag}`}${reference.digest === undefined ? '' : `@${reference.digest}`}`;
}

/** What to ask the registry for: the digest when pinned (it wins over the tag, as for a kubelet), else the tag. */
export function manifestReferenceOf(reference: ImageReference): string {
  return reference.digest ?? reference.tag ?? 'latest';
}

export function isSha256Digest(value: string): boolean {
  return SHA256_DIGEST.test(value);
}
