// Pure: turns a Secret plus the tokens for its registries into the JSON Patch operations that make it current. The
// patch is built from what changes (the `.dockerconfigjson` value and our annotations) rather than by cloning and
// diffing the whole Secret. A Secret that already holds the current tokens yields no operations at all.
import type { Operation } from 'fast-json-patch';
import {
  DOCKER_CONFIG_JSON_KEY,
  EXPIRES_AT_ANNOTATION,
  MANAGED_REGISTRIES_ANNOTATION,
  UPDATED_AT_ANNOTATION,
  escapePointerSegment,
} from '../common/names.js';
import { formatManagedRegistries, parseManagedRegistries } from './docker-config.js';
import { formatRfc3339 } from '../common/time.js';
import { updateDockerConfig, type DockerConfigUpdate, type TokensByHost } from './docker-config-update.js';
import type { ObjectMeta, SecretObject } from './review.js';

/** The earliest expiry among the tokens: the Secret is only as fresh as its oldest credential. */
export function earliestExpiry(tokensByHost: TokensByHost): Date {
  let earliest: Date | undefined;
  for (const token of tokensByHost.values()) if (earliest === undefined || token.expiresAt < earliest) earliest = token.expiresAt;
  if (earliest === undefined) throw new Error('a credential patch needs at least one token');
  return earliest;
}

function configOperation(data: SecretObject['data'], encoded: string): Operation {
  if (!data) return { op: 'add', path: '/data', value: { [DOCKER_CONFIG_JSON_KEY]: encoded } };
  const op = DOCKER_CONFIG_JSON_KEY in data ? 'replace' : 'add';
  return { op, path: `/data/${escapePointerSegment(DOCKER_CONFIG_JSON_KEY)}`, value: encoded };
}

/** Operations that give the Secret these annotations, touching no other annotation. */
function annotationOperations(metadata: ObjectMeta | undefined, wanted: Record<string, string>): Operation[] {
  const current = metadata?.annotations;
  const changed = Object.entries(wanted).filter(([name, value]) => current?.[name] !== value);
  if (changed.length === 0) return [];
  if (!metadata) return [{ op: 'add', path: '/metadata', value: { annotations: Object.fromEntries(changed) } }];
  if (!current) return [{ op: 'add', path: '/metadata/annotations', value: Object.fromEntries(changed) }];
  return changed.map(([name, value]) => ({
    op: name in current ? 'replace' : 'add',
    path: `/metadata/annotations/${escapePointerSegment(name)}`,
    value,
  }));
}

export function credentialPatch(
  secret: SecretObject,
  tokensByHost: TokensByHost,
  now: Date,
  update: DockerConfigUpdate = updateDockerConfig,
): Operation[] {
  const annotationsNow = secret.metadata?.annotations;
  const encoded = update(secret.data?.[DOCKER_CONFIG_JSON_KEY], tokensByHost, parseManagedRegistries(annotationsNow?.[MANAGED_REGISTRIES_ANNOTATION]));
  const annotations: Record<string, string> = {
    [EXPIRES_AT_ANNOTATION]: formatRfc3339(earliestExpiry(tokensByHost)),
    // What we wrote, so registries dropped from the registries annotation can be removed later, and nothing else.
    [MANAGED_REGISTRIES_ANNOTATION]: formatManagedRegistries(tokensByHost.keys()),
  };
  if (encoded !== undefined || secret.metadata?.annotations?.[UPDATED_AT_ANNOTATION] === undefined) {
    annotations[UPDATED_AT_ANNOTATION] = formatRfc3339(now);
  }
  const annotated = annotationOperations(secret.metadata, annotations);
  return encoded === undefined ? annotated : [configOperation(secret.data, encoded), ...annotated];
}
