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
 * Puts `wanted` (host → entry) into `config`. Returns the merged config and whether anything changed, so a Secret
 * that already holds the current tokens is left byte-for-byte alone.
 */
export function mergeAuthEntries(
  config: DockerConfig,
  wanted: ReadonlyMap<string, AuthEntry>,
): { readonly config: DockerConfig; readonly changed: boolean } {
  const auths: Record<string, unknown> = { ...config.auths };
  let changed = false;
  for (const [host, entry] of wanted) {
    if (holdsEntry(auths[host], entry)) continue;
    auths[host] = entry;
    changed = true;
  }
  return { config: { ...config, auths }, changed };
}
