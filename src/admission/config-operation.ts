// The JSON Patch operation that writes a Secret's new `.dockerconfigjson`: as an object, as JSON text, and as the
// base64 of the patches that begin with it. The value is ~6 KB of base64 for an ECR-sized token and the same value
// goes to every Secret refreshed with the same token, so the memoized builder encodes it once per value.
import type { Operation } from 'fast-json-patch';
import { LRUCache } from 'lru-cache';
import { base64Head, continueBase64, type Base64Text } from './base64.js';
import { DOCKER_CONFIG_JSON_KEY, escapePointerSegment } from '../common/names.js';
import type { SecretObject } from './review.js';

/** How the value gets into the Secret: a new `data` map, a new key in `data`, or a replaced key. */
export type ConfigOperationKind = 'add-data' | 'add-key' | 'replace-key';

export interface ConfigOperationText {
  /** The operation as JSON text. */
  readonly json: string;
  /** The base64 of the patch `[` + json + tail (the tail holds the other operations and the closing bracket). */
  readonly patchBase64: (tail: string) => Base64Text;
}

export type ConfigOperationTextOf = (kind: ConfigOperationKind, encoded: Base64Text) => ConfigOperationText;

const KEY_JSON = JSON.stringify(DOCKER_CONFIG_JSON_KEY);
const KEY_POINTER = `/data/${escapePointerSegment(DOCKER_CONFIG_JSON_KEY)}`;
const KEY_POINTER_JSON = JSON.stringify(KEY_POINTER);

export function configOperationKind(data: SecretObject['data']): ConfigOperationKind {
  if (!data) return 'add-data';
  return DOCKER_CONFIG_JSON_KEY in data ? 'replace-key' : 'add-key';
}

export function configOperation(kind: ConfigOperationKind, encoded: Base64Text): Operation {
  if (kind === 'add-data') return { op: 'add', path: '/data', value: { [DOCKER_CONFIG_JSON_KEY]: encoded } };
  return { op: kind === 'add-key' ? 'add' : 'replace', path: KEY_POINTER, value: encoded };
}

/** Base64 never needs escaping in JSON, so the value is spliced in as it is (JSON.stringify would scan it). */
export const configOperationText: ConfigOperationTextOf = (kind, encoded) => {
  const json =
    kind === 'add-data'
      ? `{"op":"add","path":"/data","value":{${KEY_JSON}:"${encoded}"}}`
      : `{"op":"${kind === 'add-key' ? 'add' : 'replace'}","path":${KEY_POINTER_JSON},"value":"${encoded}"}`;
  const start = base64Head(`[${json}`);
  return { json, patchBase64: (tail) => continueBase64(start, tail) };
};

/**
 * Remembers the last tail and its patch: the tail (our annotations) changes once a second at most, so within a
 * second every Secret of one shape gets the same patch, and its base64 is made once.
 */
function rememberingLastTail(text: ConfigOperationText): ConfigOperationText {
  let lastTail: string | undefined;
  let lastPatch: Base64Text | undefined;
  return {
    json: text.json,
    patchBase64: (tail) => {
      if (tail !== lastTail || lastPatch === undefined) {
        lastPatch = text.patchBase64(tail);
        lastTail = tail;
      }
      return lastPatch;
    },
  };
}

/**
 * `configOperationText` remembered per value in a memo bounded by characters. The webhook's values come from its
 * docker-config memo, so a repeated value is the same string object and finding it costs no hashing of its text.
 */
export function memoizedConfigOperationText(options: { readonly maxChars?: number } = {}): ConfigOperationTextOf {
  const memo = new LRUCache<Base64Text, Partial<Record<ConfigOperationKind, ConfigOperationText>>>({
    maxSize: options.maxChars ?? 4 * 1024 * 1024,
    // The key, plus per kind a base64 start and a last patch (~4/3 of the value each).
    sizeCalculation: (_texts, encoded) => encoded.length * 9 + 1,
  });
  return (kind, encoded) => {
    let texts = memo.get(encoded);
    if (texts === undefined) {
      texts = {};
      memo.set(encoded, texts);
    }
    return (texts[kind] ??= rememberingLastTail(configOperationText(kind, encoded)));
  };
}
