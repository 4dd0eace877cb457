// Pure: turns a Secret plus the tokens for its registries into the JSON Patch that makes it current. The patch is
// built from what changes (the `.dockerconfigjson` value and our annotations) rather than by cloning and diffing
// the whole Secret: this is the webhook's hottest path. A Secret that already holds the current tokens yields no
// operations at all.
//
// The patch comes with its JSON text and its base64: the new `.dockerconfigjson` is ~6 KB for an ECR-sized token
// and repeats across admissions, so its part of both is made once per value (see config-operation.ts).
import type { Operation } from 'fast-json-patch';
import { DOCKER_CONFIG_JSON_KEY, EXPIRES_AT_ANNOTATION, UPDATED_AT_ANNOTATION, escapePointerSegment } from '../common/names.js';
import { jsonString } from './json-text.js';
import { formatRfc3339 } from '../common/time.js';
import { toBase64Text, type Base64Text } from './base64.js';
import type { ObjectMeta, SecretObject } from './review.js';
import {
  configOperation,
  configOperationKind,
  configOperationText,
  memoizedConfigOperationText,
  type ConfigOperationTextOf,
} from './config-operation.js';
import { memoizedDockerConfigUpdate, updateDockerConfig, wantedCredentials, type DockerConfigUpdate } from './docker-config-update.js';
import type { EcrToken } from '../ecr/token.js';

/** Registry host → the token that authorizes it. */
export type TokensByHost = ReadonlyMap<string, EcrToken>;

export interface CredentialPatch {
  readonly operations: readonly Operation[];
  /** `operations` as JSON text. */
  readonly json: string;
  /** `json` in base64, as an admission response carries it. */
  readonly base64: Base64Text;
}

/** The steps whose results repeat across admissions; memoized ones give the same answers as the plain ones. */
export interface InjectionSteps {
  readonly updateDockerConfig: DockerConfigUpdate;
  readonly configOperationText: ConfigOperationTextOf;
}

const PLAIN_STEPS: InjectionSteps = { updateDockerConfig, configOperationText };

/** Steps with bounded memos, for a long-running webhook. */
export function memoizedInjectionSteps(): InjectionSteps {
  return { updateDockerConfig: memoizedDockerConfigUpdate(), configOperationText: memoizedConfigOperationText() };
}

interface AnnotationOperations {
  readonly operations: Operation[];
  /** The operations as comma-separated JSON texts; empty when there are none. */
  readonly json: string;
}

// JSON text is written per shape rather than with JSON.stringify of each operation: stringifying an object walks
// its keys generically, and these objects are built anew for every admission.
const stringPairJson = ([name, value]: readonly [string, string]): string => `${jsonString(name)}:${jsonString(value)}`;

function annotationOperations(metadata: ObjectMeta | undefined, wanted: ReadonlyArray<readonly [string, string]>): AnnotationOperations {
  const current = metadata?.annotations;
  const changed = wanted.filter(([name, value]) => current?.[name] !== value);
  if (changed.length === 0) return { operations: [], json: '' };
  if (!metadata || !current) {
    const map: Record<string, string> = {};
    for (const [name, value] of changed) map[name] = value;
    const mapJson = `{${changed.map(stringPairJson).join(',')}}`;
    return metadata
      ? { operations: [{ op: 'add', path: '/metadata/annotations', value: map }], json: `{"op":"add","path":"/metadata/annotations","value":${mapJson}}` }
      : { operations: [{ op: 'add', path: '/metadata', value: { annotations: map } }], json: `{"op":"add","path":"/metadata","value":{"annotations":${mapJson}}}` };
  }
  const operations: Operation[] = [];
  const texts: string[] = [];
  for (const [name, value] of changed) {
    const op = name in current ? 'replace' : 'add';
    const path = `/metadata/annotations/${escapePointerSegment(name)}`;
    operations.push({ op, path, value });
    texts.push(`{"op":"${op}","path":${jsonString(path)},"value":${jsonString(value)}}`);
  }
  return { operations, json: texts.join(',') };
}

export function injectCredentials(secret: SecretObject, tokensByHost: TokensByHost, now: Date, steps: InjectionSteps = PLAIN_STEPS): CredentialPatch {
  const wanted = wantedCredentials(tokensByHost);
  const encoded = steps.updateDockerConfig(secret.data?.[DOCKER_CONFIG_JSON_KEY], wanted);

  const annotations: Array<[string, string]> = [[EXPIRES_AT_ANNOTATION, wanted.expiresAt]];
  if (encoded !== undefined || secret.metadata?.annotations?.[UPDATED_AT_ANNOTATION] === undefined) {
    annotations.push([UPDATED_AT_ANNOTATION, formatRfc3339(now)]);
  }
  const annotated = annotationOperations(secret.metadata, annotations);
  if (encoded === undefined) {
    const json = `[${annotated.json}]`;
    return { operations: annotated.operations, json, base64: toBase64Text(json) };
  }
  const kind = configOperationKind(secret.data);
  const config = steps.configOperationText(kind, encoded);
  const tail = annotated.json === '' ? ']' : `,${annotated.json}]`;
  return {
    operations: [configOperation(kind, encoded), ...annotated.operations],
    json: `[${config.json}${tail}`,
    base64: config.patchBase64(tail),
  };
}
