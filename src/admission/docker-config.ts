// Building and merging `.dockerconfigjson` content. We own only the auths entries of the registries we manage:
// every other key and every other registry's entry survives a merge.
import { ECR_USERNAME } from '../common/names.js';
import { isJsonObject } from './review.js';

export interface AuthEntry {
  username: string;
  password: string;
  auth: string;
  [extra: string]: unknown;
}

export interface DockerConfig {
  auths: Record<string, unknown>;
  [extra: string]: unknown;
}

/** The auths entry for an ECR token: user `AWS`, and `auth` = base64("AWS:" + password). */
export function ecrAuthEntry(password: string): AuthEntry {
  return {
    username: ECR_USERNAME,
    password,
    auth: Buffer.from(`${ECR_USERNAME}:${password}`, 'utf8').toString('base64'),
  };
}

/**
 * Decodes the base64 `.dockerconfigjson` value of a Secret. Anything that is not a JSON object (the original
 * product's `FAKE` placeholder, invalid base64, broken JSON) yields an empty config: junk is replaced, not kept.
 */
export function decodeDockerConfig(base64Value: string | undefined): DockerConfig {
  if (base64Value === undefined || base64Value === '') return { auths: {} };
  const text = Buffer.from(base64Value, 'base64').toString('utf8');
  // Junk is common (every refresh of a placeholder Secret) and a thrown SyntaxError is costly: skip the parse.
  if (!text.trimStart().startsWith('{')) return { auths: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { auths: {} };
  }
  if (!isJsonObject(parsed)) return { auths: {} };
  const auths = isJsonObject(parsed.auths) ? parsed.auths : {};
  return { ...parsed, auths: { ...auths } };
}

/** The base64 `.dockerconfigjson` value of a config. */
export function encodeDockerConfig(config: DockerConfig): string {
  return Buffer.from(JSON.stringify(config), 'utf8').toString('base64');
}

function holdsEntry(current: unknown, wanted: AuthEntry): boolean {
  return (
    isJsonObject(current) &&
    current.username === wanted.username &&
    current.password === wanted.password &&
    current.auth === wanted.auth
  );
}

/**
 * The registry an auths key names: `https://host`, `host/` and `host` are one registry (the original product keyed
 * entries by ECR's `proxyEndpoint`, `https://<host>`). Lower-cased: host names are case-insensitive.
 */
export function registryOfAuthKey(key: string): string {
  return key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/+$/, '').toLowerCase();
}

/**
 * Puts `wanted` (host → entry) into `config`: an existing key for the same registry, in any of its spellings, is
 * replaced in place (keeping the key the Secret used); a new registry gets a bare-host key. Entries of
 * `previouslyManaged` registries (the ones we wrote before) that are no longer wanted are removed; nothing else is
 * touched. Returns whether anything changed, so a Secret that already holds the current tokens is left alone.
 */
export function mergeAuthEntries(
  config: DockerConfig,
  wanted: ReadonlyMap<string, AuthEntry>,
  previouslyManaged: readonly string[] = [],
): { readonly config: DockerConfig; readonly changed: boolean } {
  const auths: Record<string, unknown> = { ...config.auths };
  const keysOf = new Map<string, string[]>();
  for (const key of Object.keys(auths)) {
    const registry = registryOfAuthKey(key);
    keysOf.set(registry, [...(keysOf.get(registry) ?? []), key]);
  }
  let changed = false;
  for (const [host, entry] of wanted) {
    const keys = keysOf.get(registryOfAuthKey(host)) ?? [host];
    for (const key of keys) {
      if (holdsEntry(auths[key], entry)) continue;
      auths[key] = entry;
      changed = true;
    }
  }
  const stillWanted = new Set([...wanted.keys()].map(registryOfAuthKey));
  for (const registry of previouslyManaged.map(registryOfAuthKey)) {
    if (stillWanted.has(registry)) continue;
    for (const key of keysOf.get(registry) ?? []) {
      delete auths[key];
      changed = true;
    }
  }
  return { config: { ...config, auths }, changed };
}

/** The hosts of the managed-registries annotation (what we wrote last time); empty when absent. */
export function parseManagedRegistries(annotation: string | undefined): string[] {
  return (annotation ?? '').split(',').map(registryOfAuthKey).filter((host) => host !== '');
}

/** The managed-registries annotation's value for the hosts we now write: sorted, so it is stable. */
export function formatManagedRegistries(hosts: Iterable<string>): string {
  return [...new Set([...hosts].map(registryOfAuthKey))].sort().join(',');
}
