// Pure: turns a Secret plus the tokens for its registries into the JSON Patch operations that make it current. The
// patch is built from what changes (the `.dockerconfigjson` value, or an Argo CD Secret's `username`/`password`, and
// our annotations) rather than by cloning and diffing the whole Secret. A Secret that already holds the current
// tokens yields no operations at all.
import type { Operation } from 'fast-json-patch';
import {
  ARGOCD_PASSWORD_KEY,
  ARGOCD_USERNAME_KEY,
  DOCKER_CONFIG_JSON_KEY,
  ECR_USERNAME,
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

/** Operations that give `data` these (base64) values, touching no other key. */
function dataOperations(data: SecretObject['data'], wanted: Record<string, string>): Operation[] {
  if (!data) return [{ op: 'add', path: '/data', value: wanted }];
  return Object.entries(wanted)
    .filter(([key, value]) => data[key] !== value)
    .map(([key, value]) => ({ op: key in data ? 'replace' : 'add', path: `/data/${escapePointerSegment(key)}`, value }));
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

/** Our annotations for these tokens; `updated_at` moves only when the credentials changed (or was never set). */
function credentialAnnotationOperations(secret: SecretObject, tokensByHost: TokensByHost, now: Date, credentialsChanged: boolean): Operation[] {
  const annotations: Record<string, string> = {
    [EXPIRES_AT_ANNOTATION]: formatRfc3339(earliestExpiry(tokensByHost)),
    // What we wrote, so registries dropped from the registries annotation can be removed later, and nothing else.
    [MANAGED_REGISTRIES_ANNOTATION]: formatManagedRegistries(tokensByHost.keys()),
  };
  if (credentialsChanged || secret.metadata?.annotations?.[UPDATED_AT_ANNOTATION] === undefined) {
    annotations[UPDATED_AT_ANNOTATION] = formatRfc3339(now);
  }
  return annotationOperations(secret.metadata, annotations);
}

/** A `kubernetes.io/dockerconfigjson` Secret: one auths entry per registry host. */
export function credentialPatch(
  secret: SecretObject,
  tokensByHost: TokensByHost,
  now: Date,
  update: DockerConfigUpdate = updateDockerConfig,
): Operation[] {
  const annotationsNow = secret.metadata?.annotations;
  const encoded = update(secret.data?.[DOCKER_CONFIG_JSON_KEY], tokensByHost, parseManagedRegistries(annotationsNow?.[MANAGED_REGISTRIES_ANNOTATION]));
  const annotated = credentialAnnotationOperations(secret, tokensByHost, now, encoded !== undefined);
  return encoded === undefined ? annotated : [...dataOperations(secret.data, { [DOCKER_CONFIG_JSON_KEY]: encoded }), ...annotated];
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/**
 * An Argo CD repository Secret: `username: AWS` and `password: <token>` for its one registry (the url's), every
 * other key (`url`, `type`, `enableOCI`, `name`, `project`…) left alone.
 */
export function repositoryCredentialPatch(secret: SecretObject, tokensByHost: TokensByHost, now: Date): Operation[] {
  const [token, ...others] = tokensByHost.values();
  if (token === undefined || others.length > 0) throw new Error('an Argo CD repository Secret takes the token of exactly one registry');
  const credentials = dataOperations(secret.data, { [ARGOCD_USERNAME_KEY]: base64(ECR_USERNAME), [ARGOCD_PASSWORD_KEY]: base64(token.password) });
  return [...credentials, ...credentialAnnotationOperations(secret, tokensByHost, now, credentials.length > 0)];
}
