// Pure: decides what an admission request needs before any I/O — skip it, refuse it, or inject tokens for
// which registries and regions.
import { EcrAnywhereError, ErrorCodes } from '../common/errors.js';
import {
  DOCKER_CONFIG_JSON_TYPE,
  MANAGED_LABEL,
  MANAGED_LABEL_VALUE,
  PROTECTED_NAMESPACES,
  REGISTRIES_ANNOTATION,
} from '../common/names.js';
import { parseRegistryList, type EcrRegistry } from '../ecr/registry-host.js';
import type { AdmissionRequest, SecretObject } from './review.js';

export type AdmissionPlan =
  | { readonly action: 'skip'; readonly reason: string }
  | { readonly action: 'refuse'; readonly error: EcrAnywhereError }
  | {
      readonly action: 'inject';
      readonly secret: SecretObject;
      /** The namespace the review names: whose policy applies. */
      readonly namespace: string;
      /** Registries named by the annotation; empty means the default registry of `regions[0]`. */
      readonly registries: readonly EcrRegistry[];
      readonly regions: readonly string[];
    };

const MUTATING_OPERATIONS = new Set(['CREATE', 'UPDATE']);

export function describeSecret(request: AdmissionRequest): string {
  const meta = request.object?.metadata;
  const namespace = request.namespace ?? meta?.namespace ?? '';
  const name = request.name ?? meta?.name ?? meta?.generateName ?? '<unnamed>';
  return namespace === '' ? name : `${namespace}/${name}`;
}

export function planAdmission(request: AdmissionRequest, defaultRegion: string): AdmissionPlan {
  const isSecret = (request.kind?.kind ?? 'Secret') === 'Secret' && (request.kind?.group ?? '') === '';
  if (!isSecret) return { action: 'skip', reason: 'not a core/v1 Secret' };
  if (!MUTATING_OPERATIONS.has(request.operation ?? '')) return { action: 'skip', reason: `operation ${request.operation ?? 'unknown'}` };

  const secret = request.object;
  if (!secret) {
    return { action: 'refuse', error: new EcrAnywhereError(ErrorCodes.BAD_REVIEW, `${request.operation} review carries no object`) };
  }
  const namespace = request.namespace ?? secret.metadata?.namespace ?? '';
  if (PROTECTED_NAMESPACES.has(namespace)) return { action: 'skip', reason: `namespace ${namespace} is never mutated` };
  if (secret.metadata?.labels?.[MANAGED_LABEL] !== MANAGED_LABEL_VALUE) return { action: 'skip', reason: 'not labeled managed' };

  const type = secret.type ?? 'Opaque';
  if (type !== DOCKER_CONFIG_JSON_TYPE) {
    return {
      action: 'refuse',
      error: new EcrAnywhereError(
        ErrorCodes.WRONG_SECRET_TYPE,
        `Secret ${describeSecret(request)} is labeled ${MANAGED_LABEL}=${MANAGED_LABEL_VALUE} but has type ${type}; ` +
          `managed Secrets must have type ${DOCKER_CONFIG_JSON_TYPE} (remove the label or change the type)`,
      ),
    };
  }

  if (secret.immutable === true) {
    return {
      action: 'refuse',
      error: new EcrAnywhereError(
        ErrorCodes.IMMUTABLE_SECRET,
        `Secret ${describeSecret(request)} is labeled ${MANAGED_LABEL}=${MANAGED_LABEL_VALUE} but has immutable: true; its ECR ` +
          `credentials could be written once and never refreshed, so they would stop working within 12 h. Create it ` +
          `without immutable (a Secret cannot be made mutable again: delete and recreate it), or remove the label`,
      ),
    };
  }

  const parsed = parseRegistryList(secret.metadata?.annotations?.[REGISTRIES_ANNOTATION]);
  if (!parsed.ok) {
    return {
      action: 'refuse',
      error: new EcrAnywhereError(
        ErrorCodes.INVALID_REGISTRY,
        `annotation ${REGISTRIES_ANNOTATION} on Secret ${describeSecret(request)} has an invalid entry "${parsed.entry}": ${parsed.reason}`,
      ),
    };
  }
  const regions = parsed.registries.length === 0 ? [defaultRegion] : [...new Set(parsed.registries.map((r) => r.region))];
  return { action: 'inject', secret, namespace, registries: parsed.registries, regions };
}
