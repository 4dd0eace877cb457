// One catalogue of coded failures. Codes are stable: users grep logs and alerts for them.

export interface ErrorSpec {
  readonly code: string;
  /** HTTP status for the webhook's own endpoint, or the status code reported inside an admission refusal. */
  readonly status: number;
}

export const ErrorCodes = {
  BAD_REVIEW: { code: 'ECR_ANYWHERE_BAD_REVIEW', status: 400 },
  EMPTY_BODY: { code: 'ECR_ANYWHERE_EMPTY_BODY', status: 400 },
  INVALID_JSON: { code: 'ECR_ANYWHERE_INVALID_JSON', status: 400 },
  UNSUPPORTED_MEDIA_TYPE: { code: 'ECR_ANYWHERE_UNSUPPORTED_MEDIA_TYPE', status: 415 },
  BODY_TOO_LARGE: { code: 'ECR_ANYWHERE_BODY_TOO_LARGE', status: 413 },
  NOT_FOUND: { code: 'ECR_ANYWHERE_NOT_FOUND', status: 404 },
  INTERNAL: { code: 'ECR_ANYWHERE_INTERNAL', status: 500 },
  INVALID_REGISTRY: { code: 'ECR_ANYWHERE_INVALID_REGISTRY', status: 422 },
  WRONG_SECRET_TYPE: { code: 'ECR_ANYWHERE_WRONG_SECRET_TYPE', status: 422 },
  IMMUTABLE_SECRET: { code: 'ECR_ANYWHERE_IMMUTABLE_SECRET', status: 422 },
  ECR_REFUSED: { code: 'ECR_ANYWHERE_ECR_REFUSED', status: 403 },
  ECR_THROTTLED: { code: 'ECR_ANYWHERE_ECR_THROTTLED', status: 429 },
  ECR_TIMEOUT: { code: 'ECR_ANYWHERE_ECR_TIMEOUT', status: 504 },
  ECR_UNAVAILABLE: { code: 'ECR_ANYWHERE_ECR_UNAVAILABLE', status: 503 },
  CONFIG: { code: 'ECR_ANYWHERE_CONFIG', status: 400 },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes]['code'];

/** A failure with a stable code and a message that is safe to show users (never secret material). */
export class EcrAnywhereError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(spec: (typeof ErrorCodes)[keyof typeof ErrorCodes], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EcrAnywhereError';
    this.code = spec.code;
    this.status = spec.status;
  }
}
