// Pure: turns a Secret plus the tokens for its registries into the JSON Patch that makes it current. The patch is
// built from what changes (the `.dockerconfigjson` value and our annotations) rather than by cloning and diffing
// the whole Secret: this is the webhook's hottest path. A Secret that already holds the current tokens yields no
// operations at all.
//
// The patch comes with its JSON text. JSON.stringify scans every character for escapes (~3 ns each on Node 20) and
// the new `.dockerconfigjson` is ~6 KB of base64 for an ECR-sized token, which never needs escaping: the text
// splices it in as it is.
import type { Operation } from 'fast-json-patch';
import { DOCKER_CONFIG_JSON_KEY, EXPIRES_AT_ANNOTATION, UPDATED_AT_ANNOTATION, escapePointerSegment } from '../common/names.js';
import { formatRfc3339 } from '../common/time.js';
import type { Base64Text } from '../common/base64.js';
import type { ObjectMeta, SecretObject } from './admission-review.js';
import { updateDockerConfig, wantedCredentials, type DockerConfigUpdate } from './docker-config-update.js';
import type { EcrToken } from './ecr-token.js';

/** Registry host → the token that authorizes it. */
export type TokensByHost = ReadonlyMap<string, EcrToken>;

export interface CredentialPatch {
  readonly operations: readonly Operation[];
  /** `operations` as JSON text. */
  readonly json: string;
}

const KEY_JSON = JSON.stringify(DOCKER_CONFIG_JSON_KEY);
const KEY_POINTER = `/data/${escapePointerSegment(DOCKER_CONFIG_JSON_KEY)}`;
const KEY_POINTER_JSON = JSON.stringify(KEY_POINTER);

function dockerConfigOperation(data: SecretObject['data'], encoded: Base64Text): { operation: Operation; json: string } {
  if (!data) {
    return {
      operation: { op: 'add', path: '/data', value: { [DOCKER_CONFIG_JSON_KEY]: encoded } },
      json: `{"op":"add","path":"/data","value":{${KEY_JSON}:"${encoded}"}}`,
    };
  }
  const op = DOCKER_CONFIG_JSON_KEY in data ? 'replace' : 'add';
  return {
    operation: { op, path: KEY_POINTER, value: encoded },
    json: `{"op":"${op}","path":${KEY_POINTER_JSON},"value":"${encoded}"}`,
  };
}

function annotationOperations(metadata: ObjectMeta | undefined, wanted: Readonly<Record<string, string>>): Operation[] {
  const current = metadata?.annotations;
  const changed = Object.entries(wanted).filter(([name, value]) => current?.[name] !== value);
  if (changed.length === 0) return [];
  if (!metadata) return [{ op: 'add', path: '/metadata', value: { annotations: Object.fromEntries(changed) } }];
  if (!current) return [{ op: 'add', path: '/metadata/annotations', value: Object.fromEntries(changed) }];
  return changed.map(([name, value]): Operation => {
    const path = `/metadata/annotations/${escapePointerSegment(name)}`;
    return name in current ? { op: 'replace', path, value } : { op: 'add', path, value };
  });
}

/**
 * `update` computes the new `.dockerconfigjson` value; the webhook passes a memoized one (see
 * docker-config-update.ts), which gives the same answers.
 */
export function injectCredentials(
  secret: SecretObject,
  tokensByHost: TokensByHost,
  now: Date,
  update: DockerConfigUpdate = updateDockerConfig,
): CredentialPatch {
  const wanted = wantedCredentials(tokensByHost);
  const encoded = update(secret.data?.[DOCKER_CONFIG_JSON_KEY], wanted);

  const annotations: Record<string, string> = { [EXPIRES_AT_ANNOTATION]: wanted.expiresAt };
  if (encoded !== undefined || secret.metadata?.annotations?.[UPDATED_AT_ANNOTATION] === undefined) {
    annotations[UPDATED_AT_ANNOTATION] = formatRfc3339(now);
  }
  const annotationOps = annotationOperations(secret.metadata, annotations);
  const annotationJson = annotationOps.map((operation) => JSON.stringify(operation));
  if (encoded === undefined) return { operations: annotationOps, json: `[${annotationJson.join(',')}]` };
  const config = dockerConfigOperation(secret.data, encoded);
  return { operations: [config.operation, ...annotationOps], json: `[${[config.json, ...annotationJson].join(',')}]` };
}
