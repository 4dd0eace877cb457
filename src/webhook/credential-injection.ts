// Pure: turns a Secret plus the tokens for its registries into the JSON Patch that makes it current. The patch is
// built from what changes (the `.dockerconfigjson` value and our annotations) rather than by cloning and diffing
// the whole Secret: this is the webhook's hottest path. A Secret that already holds the current tokens yields no
// operations at all.
//
// The patch comes with its JSON text and its base64: the new `.dockerconfigjson` is ~6 KB for an ECR-sized token
// and repeats across admissions, so its part of both is made once per value (see config-operation.ts).
import type { Operation } from 'fast-json-patch';
import { DOCKER_CONFIG_JSON_KEY, EXPIRES_AT_ANNOTATION, UPDATED_AT_ANNOTATION, escapePointerSegment } from '../common/names.js';
import { formatRfc3339 } from '../common/time.js';
import { continueBase64, toBase64Text, type Base64Text } from '../common/base64.js';
import type { ObjectMeta, SecretObject } from './admission-review.js';
import {
  configOperation,
  configOperationKind,
  configOperationText,
  memoizedConfigOperationText,
  type ConfigOperationTextOf,
} from './config-operation.js';
import { memoizedDockerConfigUpdate, updateDockerConfig, wantedCredentials, type DockerConfigUpdate } from './docker-config-update.js';
import type { EcrToken } from './ecr-token.js';

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

export function injectCredentials(secret: SecretObject, tokensByHost: TokensByHost, now: Date, steps: InjectionSteps = PLAIN_STEPS): CredentialPatch {
  const wanted = wantedCredentials(tokensByHost);
  const encoded = steps.updateDockerConfig(secret.data?.[DOCKER_CONFIG_JSON_KEY], wanted);

  const annotations: Record<string, string> = { [EXPIRES_AT_ANNOTATION]: wanted.expiresAt };
  if (encoded !== undefined || secret.metadata?.annotations?.[UPDATED_AT_ANNOTATION] === undefined) {
    annotations[UPDATED_AT_ANNOTATION] = formatRfc3339(now);
  }
  const annotationOps = annotationOperations(secret.metadata, annotations);
  const annotationJson = annotationOps.map((operation) => JSON.stringify(operation)).join(',');
  if (encoded === undefined) {
    const json = `[${annotationJson}]`;
    return { operations: annotationOps, json, base64: toBase64Text(json) };
  }
  const kind = configOperationKind(secret.data);
  const config = steps.configOperationText(kind, encoded);
  const tail = annotationJson === '' ? ']' : `,${annotationJson}]`;
  return {
    operations: [configOperation(kind, encoded), ...annotationOps],
    json: `[${config.json}${tail}`,
    base64: continueBase64(config.patchStart, tail),
  };
}
