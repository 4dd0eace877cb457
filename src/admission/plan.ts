// Pure: decides what an admission request needs before any I/O — skip it, refuse it, or inject tokens for
// which registries and token scopes (regions, and ECR Public), into which shape of Secret.
import { EcrAnywhereError, ErrorCodes } from '../common/errors.js';
import {
  ARGOCD_SECRET_TYPE_LABEL,
  ARGOCD_URL_KEY,
  DOCKER_CONFIG_JSON_TYPE,
  MANAGED_LABEL,
  MANAGED_LABEL_VALUE,
  OPAQUE_TYPE,
  PROTECTED_NAMESPACES,
  REGISTRIES_ANNOTATION,
} from '../common/names.js';
import { fillableShape, type FillableShape } from '../common/secret-shape.js';
import { parseRegistryList, type EcrRegistry } from '../ecr/registry-host.js';
import { registryOfRepositoryUrl } from './repository-url.js';
import type { AdmissionRequest, SecretObject } from './review.js';

export type AdmissionPlan =
  | { readonly action: 'skip'; readonly reason: string }
  | { readonly action: 'refuse'; readonly error: EcrAnywhereError }
  | {
      readonly action: 'inject';
      /** A pull Secret (`.dockerconfigjson` auths) or an Argo CD repository Secret (`username`/`password`). */
      readonly shape: FillableShape;
      readonly secret: SecretObject;
      /** The namespace the review names: whose policy applies. */
      readonly namespace: string;
      /**
       * Registries named by the annotation (a pull Secret) or by the url (an Argo CD Secret: exactly one); empty means
       * the default registry of `regions[0]`.
       */
      readonly registries: readonly EcrRegistry[];
      /** The distinct token scopes of the registries: regions, and `public.ecr.aws` for ECR Public. */
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

  const shape = fillableShape(secret.type, secret.metadata?.labels);
  if (shape === undefined) {
    const type = secret.type ?? OPAQUE_TYPE;
    return {
      action: 'refuse',
      error: new EcrAnywhereError(
        ErrorCodes.WRONG_SECRET_TYPE,
        `Secret ${describeSecret(request)} is labeled ${MANAGED_LABEL}=${MANAGED_LABEL_VALUE} but has type ${type}; ` +
          `managed Secrets must have type ${DOCKER_CONFIG_JSON_TYPE} (remove the label or change the type), or be ${OPAQUE_TYPE} ` +
          `Argo CD repository Secrets labeled ${ARGOCD_SECRET_TYPE_LABEL}=repository or repo-creds`,
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

  if (shape === 'argocd-repository') return planRepositoryCredentials(request, secret, namespace);

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
  const regions = parsed.registries.length === 0 ? [defaultRegion] : [...new Set(parsed.registries.map((r) => r.tokenScope))];
  return { action: 'inject', shape, secret, namespace, registries: parsed.registries, regions };
}

function invalidRepositoryUrl(request: AdmissionRequest, reason: string): AdmissionPlan {
  return {
    action: 'refuse',
    error: new EcrAnywhereError(
      ErrorCodes.INVALID_REPOSITORY_URL,
      `Argo CD repository Secret ${describeSecret(request)} is labeled ${MANAGED_LABEL}=${MANAGED_LABEL_VALUE}, but its ${ARGOCD_URL_KEY} ` +
        `key names no ECR registry (${reason}); give oci://<account>.dkr.ecr.<region>.amazonaws.com[/path], https://…, the bare host, or public.ecr.aws`,
    ),
  };
}

/** An Argo CD repository Secret: the registry is the one its `url` names, and nothing else. */
function planRepositoryCredentials(request: AdmissionRequest, secret: SecretObject, namespace: string): AdmissionPlan {
  const encodedUrl = secret.data?.[ARGOCD_URL_KEY];
  if (encodedUrl === undefined) return invalidRepositoryUrl(request, `there is no ${ARGOCD_URL_KEY} key`);
  // The reason names the scheme or host at fault, never the whole url (it could carry credentials).
  const registry = registryOfRepositoryUrl(Buffer.from(encodedUrl, 'base64').toString('utf8'));
  if ('reason' in registry) return invalidRepositoryUrl(request, registry.reason);
  if (secret.metadata?.annotations?.[REGISTRIES_ANNOTATION] !== undefined) {
    return {
      action: 'refuse',
      error: new EcrAnywhereError(
        ErrorCodes.INVALID_REGISTRY,
        `Argo CD repository Secret ${describeSecret(request)} has the annotation ${REGISTRIES_ANNOTATION}, but its registry is the one its ` +
          `${ARGOCD_URL_KEY} names (${registry.host}): remove the annotation`,
      ),
    };
  }
  return { action: 'inject', shape: 'argocd-repository', secret, namespace, registries: [registry], regions: [registry.tokenScope] };
}
