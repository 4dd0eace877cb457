// The new `.dockerconfigjson` value of a Secret for a set of tokens, and a memo of it. Decoding, merging and
// re-encoding a config that holds ~2 KB ECR passwords is most of an admission's work, and at load most admissions
// repeat an earlier one exactly: every Secret still holding the placeholder, or the previous token for the same
// registries, turns into the same new value until the token changes (measured in docs/benchmarks.md).
import { LRUCache } from 'lru-cache';
import type { EcrToken } from '../ecr/token.js';
import { decodeDockerConfig, ecrAuthEntry, encodeDockerConfig, mergeAuthEntries, type AuthEntry } from './docker-config.js';

/** Registry host → the token that authorizes it. */
export type TokensByHost = ReadonlyMap<string, EcrToken>;

/**
 * The new encoded value, or undefined when `current` already holds every wanted entry and none of the
 * `previouslyManaged` registries we no longer want.
 */
export type DockerConfigUpdate = (current: string | undefined, tokensByHost: TokensByHost, previouslyManaged?: readonly string[]) => string | undefined;

/** The auths entries a Secret must hold: one per registry host. */
export function wantedEntries(tokensByHost: TokensByHost): Map<string, AuthEntry> {
  return new Map([...tokensByHost].map(([host, token]) => [host, ecrAuthEntry(token.password)]));
}

export const updateDockerConfig: DockerConfigUpdate = (current, tokensByHost, previouslyManaged = []) => {
  const merged = mergeAuthEntries(decodeDockerConfig(current), wantedEntries(tokensByHost), previouslyManaged);
  return merged.changed ? encodeDockerConfig(merged.config) : undefined;
};

export interface DockerConfigMemoOptions {
  /** Bound on the memo's memory, counted in string length of inputs and outputs. */
  readonly maxChars?: number;
  /** Larger current values are computed every time rather than remembered. */
  readonly maxInputChars?: number;
}

const UNCHANGED = ''; // never a computed value: encoding a config object always yields text

/**
 * `updateDockerConfig` with a bounded LRU memo keyed by (hosts and the tokens' identities, previously managed
 * registries, current value). Tokens
 * are told apart by object identity, not content: each fetched token gets a number the first time it is seen.
 */
export function memoizedDockerConfigUpdate(options: DockerConfigMemoOptions = {}): DockerConfigUpdate {
  const maxInputChars = options.maxInputChars ?? 64 * 1024;
  const memo = new LRUCache<string, string>({
    maxSize: options.maxChars ?? 4 * 1024 * 1024,
    sizeCalculation: (value, key) => value.length + key.length + 1,
  });
  const tokenIds = new WeakMap<EcrToken, number>();
  let tokensSeen = 0;
  const idOf = (token: EcrToken): number => {
    let id = tokenIds.get(token);
    if (id === undefined) {
      tokensSeen += 1;
      id = tokensSeen;
      tokenIds.set(token, id);
    }
    return id;
  };
  return (current, tokensByHost, previouslyManaged = []) => {
    if (current !== undefined && current.length > maxInputChars) return updateDockerConfig(current, tokensByHost, previouslyManaged);
    let key = '';
    for (const [host, token] of tokensByHost) key += `${host}=${idOf(token)};`;
    key += `-${previouslyManaged.join(',')}`;
    key += `\n${current ?? '\n'}`;
    const remembered = memo.get(key);
    if (remembered !== undefined) return remembered === UNCHANGED ? undefined : remembered;
    const computed = updateDockerConfig(current, tokensByHost, previouslyManaged);
    memo.set(key, computed ?? UNCHANGED);
    return computed;
  };
}
