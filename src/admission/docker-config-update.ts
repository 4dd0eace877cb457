// The new `.dockerconfigjson` value of a Secret for a set of tokens, and a memo of it. Decoding, merging and
// re-encoding a config that holds ~2 KB ECR passwords is most of an admission's work, and most admissions repeat
// an earlier one exactly: every Secret still holding the placeholder, or the previous token for the same
// registries, turns into the same new value until the token changes.
import { LRUCache } from 'lru-cache';
import type { Base64Text } from './base64.js';
import { decodeDockerConfig, ecrAuthEntry, encodeDockerConfig, mergeAuthEntries, type AuthEntry } from './docker-config.js';
import { formatRfc3339 } from '../common/time.js';
import type { EcrToken } from '../ecr/token.js';

/** What a Secret must hold: an auths entry per registry host, and the earliest expiry among their tokens. */
export interface WantedCredentials {
  readonly entries: ReadonlyMap<string, AuthEntry>;
  /** RFC 3339: the `expires_at` annotation. */
  readonly expiresAt: string;
  /** Identifies hosts + tokens (not their content): equal keys mean equal entries. */
  readonly key: string;
}

/** The new encoded value, or undefined when `current` already holds every wanted entry. */
export type DockerConfigUpdate = (current: string | undefined, wanted: WantedCredentials) => Base64Text | undefined;

interface PreparedToken {
  readonly id: number;
  readonly entry: AuthEntry;
  readonly expiresAtMs: number;
  readonly expiresAtText: string;
}

// Tokens are immutable and shared by every admission for hours: their auths entry (a base64 of the whole
// password) and their expiry text are computed once per token, not once per admission.
const preparedTokens = new WeakMap<EcrToken, PreparedToken>();
let lastTokenId = 0;

function prepare(token: EcrToken): PreparedToken {
  let prepared = preparedTokens.get(token);
  if (prepared === undefined) {
    lastTokenId += 1;
    prepared = {
      id: lastTokenId,
      entry: ecrAuthEntry(token.password),
      expiresAtMs: token.expiresAt.getTime(),
      expiresAtText: formatRfc3339(token.expiresAt),
    };
    preparedTokens.set(token, prepared);
  }
  return prepared;
}

export function wantedCredentials(tokensByHost: ReadonlyMap<string, EcrToken>): WantedCredentials {
  const entries = new Map<string, AuthEntry>();
  let earliest: PreparedToken | undefined;
  let key = '';
  for (const [host, token] of tokensByHost) {
    const prepared = prepare(token);
    entries.set(host, prepared.entry);
    if (earliest === undefined || prepared.expiresAtMs < earliest.expiresAtMs) earliest = prepared;
    key += `${host}=${prepared.id};`;
  }
  if (earliest === undefined) throw new Error('wantedCredentials needs at least one token');
  return { entries, expiresAt: earliest.expiresAtText, key };
}

export const updateDockerConfig: DockerConfigUpdate = (current, wanted) => {
  const merged = mergeAuthEntries(decodeDockerConfig(current), wanted.entries);
  return merged.changed ? encodeDockerConfig(merged.config) : undefined;
};

export interface DockerConfigMemoOptions {
  /** Bound on the memo's memory, counted in string length of inputs and outputs. */
  readonly maxChars?: number;
  /** Larger current values are computed every time rather than remembered. */
  readonly maxInputChars?: number;
}

const UNCHANGED = ''; // never a computed value: encoding a config object always yields text

/** `updateDockerConfig` with a bounded LRU memo keyed by (wanted hosts + tokens, current value). */
export function memoizedDockerConfigUpdate(options: DockerConfigMemoOptions = {}): DockerConfigUpdate {
  const maxInputChars = options.maxInputChars ?? 64 * 1024;
  const memo = new LRUCache<string, Base64Text | ''>({
    maxSize: options.maxChars ?? 4 * 1024 * 1024,
    sizeCalculation: (value, key) => value.length + key.length + 1,
  });
  return (current, wanted) => {
    if (current !== undefined && current.length > maxInputChars) return updateDockerConfig(current, wanted);
    const memoKey = `${wanted.key}\n${current ?? '\n'}`;
    const remembered = memo.get(memoKey);
    if (remembered !== undefined) return remembered === UNCHANGED ? undefined : remembered;
    const computed = updateDockerConfig(current, wanted);
    memo.set(memoKey, computed ?? UNCHANGED);
    return computed;
  };
}
