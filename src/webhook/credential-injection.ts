// Pure: turns a Secret plus the tokens for its registries into the JSON Patch that makes it current. Mutates a
// clone and diffs it (pepr's way), so a Secret that already holds the current tokens yields no operations at all.
import jsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { decodeDockerConfig, ecrAuthEntry, encodeDockerConfig, mergeAuthEntries, type AuthEntry } from '../common/dockerconfig.js';
import { DOCKER_CONFIG_JSON_KEY, EXPIRES_AT_ANNOTATION, UPDATED_AT_ANNOTATION } from '../common/names.js';
import { formatRfc3339 } from '../common/time.js';
import type { SecretObject } from './admission-review.js';
import type { EcrToken } from './ecr-token.js';

/** Registry host → the token that authorizes it. */
export type TokensByHost = ReadonlyMap<string, EcrToken>;

export function injectCredentials(secret: SecretObject, tokensByHost: TokensByHost, now: Date): Operation[] {
  const mutated = structuredClone(secret);
  const data = (mutated.data ??= {});
  const wanted = new Map<string, AuthEntry>([...tokensByHost].map(([host, token]) => [host, ecrAuthEntry(token.password)]));
  const merged = mergeAuthEntries(decodeDockerConfig(data[DOCKER_CONFIG_JSON_KEY]), wanted);
  if (merged.changed) data[DOCKER_CONFIG_JSON_KEY] = encodeDockerConfig(merged.config);

  const earliestExpiry = Math.min(...[...tokensByHost.values()].map((token) => token.expiresAt.getTime()));
  const metadata = (mutated.metadata ??= {});
  const annotations = (metadata.annotations ??= {});
  annotations[EXPIRES_AT_ANNOTATION] = formatRfc3339(new Date(earliestExpiry));
  if (merged.changed || annotations[UPDATED_AT_ANNOTATION] === undefined) {
    annotations[UPDATED_AT_ANNOTATION] = formatRfc3339(now);
  }
  return jsonPatch.compare(secret, mutated);
}
