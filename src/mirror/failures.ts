// A failed artefact, as users read it: a stable code and a message that names the artefact and says what failed.
import { EcrAnywhereError, ErrorCodes, type ErrorCode, errorMessage } from '../common/errors.js';
import { RegistryError } from './oci/registry-client.js';

export interface MirrorFailure {
  readonly kind: 'chart' | 'image' | 'repository' | 'run';
  /** The artefact: an image reference, a chart label, a repository name. */
  readonly artefact: string;
  readonly code: ErrorCode;
  readonly message: string;
}

type Spec = (typeof ErrorCodes)[keyof typeof ErrorCodes];

function registrySpec(error: RegistryError, targetHost: string): Spec {
  const atTarget = error.host === targetHost;
  switch (error.failure) {
    case 'digest':
      return ErrorCodes.MIRROR_DIGEST_MISMATCH;
    case 'unreachable':
      return atTarget ? ErrorCodes.MIRROR_TARGET_UNREACHABLE : ErrorCodes.MIRROR_SOURCE_UNREACHABLE;
    case 'not-found':
      return atTarget ? ErrorCodes.MIRROR_PUSH_REFUSED : ErrorCodes.MIRROR_NOT_FOUND;
    case 'auth':
    case 'refused':
      return atTarget ? ErrorCodes.MIRROR_PUSH_REFUSED : ErrorCodes.MIRROR_SOURCE_AUTH;
    case 'protocol':
      return atTarget ? ErrorCodes.MIRROR_PUSH_REFUSED : ErrorCodes.MIRROR_SOURCE_UNREACHABLE;
  }
}

/** Maps any failure of one artefact's work to a coded MirrorFailure; `fallback` is the code for anything unforeseen. */
export function describeFailure(kind: MirrorFailure['kind'], artefact: string, error: unknown, targetHost: string, fallback: Spec): MirrorFailure {
  const message = errorMessage(error);
  if (error instanceof RegistryError) return { kind, artefact, code: registrySpec(error, targetHost).code, message };
  if (error instanceof EcrAnywhereError) return { kind, artefact, code: error.code, message };
  // Helm's failures and anything unforeseen take the code of the step that failed.
  return { kind, artefact, code: fallback.code, message };
}

export function failure(kind: MirrorFailure['kind'], artefact: string, spec: Spec, message: string): MirrorFailure {
  return { kind, artefact, code: spec.code, message };
}
