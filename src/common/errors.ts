// One catalogue of coded failures for the whole product: admission refusals, the webhook's HTTP errors, the
// Kubernetes API, self-managed TLS and bad settings. Codes are stable: users grep logs and alerts for them, and
// README's "Error codes" table lists every one.

export interface ErrorSpec {
  readonly code: string;
  /**
   * HTTP status for the webhook's own endpoint, or the status code reported inside an admission refusal. Failures
   * that never reach an HTTP answer (Kubernetes API, TLS, settings) carry the status that would describe them.
   */
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
  /** An Argo CD repository Secret whose `url` names no ECR registry (or has no `url`). */
  INVALID_REPOSITORY_URL: { code: 'ECR_ANYWHERE_INVALID_REPOSITORY_URL', status: 422 },
  IMMUTABLE_SECRET: { code: 'ECR_ANYWHERE_IMMUTABLE_SECRET', status: 422 },
  /** A warning, not a failure: the AWS credentials are role sessions too short for tokens to outlive REFRESH_THRESHOLD. */
  SHORT_CREDENTIALS: { code: 'ECR_ANYWHERE_SHORT_CREDENTIALS', status: 200 },
  ECR_REFUSED: { code: 'ECR_ANYWHERE_ECR_REFUSED', status: 403 },
  ECR_THROTTLED: { code: 'ECR_ANYWHERE_ECR_THROTTLED', status: 429 },
  ECR_TIMEOUT: { code: 'ECR_ANYWHERE_ECR_TIMEOUT', status: 504 },
  ECR_UNAVAILABLE: { code: 'ECR_ANYWHERE_ECR_UNAVAILABLE', status: 503 },
  /** A flag or environment variable has a bad value (the CLI exits 2). */
  CONFIG: { code: 'ECR_ANYWHERE_CONFIG', status: 400 },
  /** A run aimed at one namespace (REFRESH_NAMESPACE) that is not labeled enabled: nothing there would be refreshed. */
  NAMESPACE_NOT_ENABLED: { code: 'ECR_ANYWHERE_NAMESPACE_NOT_ENABLED', status: 400 },
  /** The refresher bumped a Secret, but what the API server stored is still stale: the webhook did not refill it. */
  REFRESH_NOT_VERIFIED: { code: 'ECR_ANYWHERE_REFRESH_NOT_VERIFIED', status: 500 },
  /** No usable Kubernetes client configuration: no kubeconfig, no in-cluster account, an unknown context. */
  KUBERNETES_CONFIG: { code: 'ECR_ANYWHERE_KUBERNETES_CONFIG', status: 500 },
  /** The Kubernetes API server was not reached, or did not answer within the request's deadline. */
  KUBERNETES_UNREACHABLE: { code: 'ECR_ANYWHERE_KUBERNETES_UNREACHABLE', status: 503 },
  /** The Kubernetes API server answered with an error; its HTTP status is kept in `apiStatus`. */
  KUBERNETES_API: { code: 'ECR_ANYWHERE_KUBERNETES_API', status: 502 },
  /** CERT_FILE / KEY_FILE are missing, unreadable or not a matching certificate and key. */
  TLS_CERTIFICATE_FILES: { code: 'ECR_ANYWHERE_TLS_CERTIFICATE_FILES', status: 500 },
  /** TLS_MODE=self cannot produce a usable certificate for a reason of its own (not an API failure). */
  TLS_SELF_MANAGED: { code: 'ECR_ANYWHERE_TLS_SELF_MANAGED', status: 500 },
  REGISTRY_NOT_ALLOWED: { code: 'ECR_ANYWHERE_REGISTRY_NOT_ALLOWED', status: 403 },
  ROLE_REFUSED: { code: 'ECR_ANYWHERE_ROLE_REFUSED', status: 403 },
  NO_ROLE: { code: 'ECR_ANYWHERE_NO_ROLE', status: 403 },
  NAMESPACE_POLICY_INVALID: { code: 'ECR_ANYWHERE_NAMESPACE_POLICY_INVALID', status: 422 },
  NAMESPACE_UNKNOWN: { code: 'ECR_ANYWHERE_NAMESPACE_UNKNOWN', status: 503 },
  // `ecr-anywhere mirror`: each failure names the artefact; the status is the closest HTTP meaning.
  MIRROR_CONFLICT: { code: 'ECR_ANYWHERE_MIRROR_CONFLICT', status: 409 },
  MIRROR_SOURCE_UNREACHABLE: { code: 'ECR_ANYWHERE_MIRROR_SOURCE_UNREACHABLE', status: 502 },
  MIRROR_SOURCE_AUTH: { code: 'ECR_ANYWHERE_MIRROR_SOURCE_AUTH', status: 401 },
  MIRROR_NOT_FOUND: { code: 'ECR_ANYWHERE_MIRROR_NOT_FOUND', status: 404 },
  MIRROR_DIGEST_MISMATCH: { code: 'ECR_ANYWHERE_MIRROR_DIGEST_MISMATCH', status: 502 },
  MIRROR_UNSUPPORTED: { code: 'ECR_ANYWHERE_MIRROR_UNSUPPORTED', status: 415 },
  MIRROR_CHART_PULL: { code: 'ECR_ANYWHERE_MIRROR_CHART_PULL', status: 502 },
  MIRROR_CHART_RENDER: { code: 'ECR_ANYWHERE_MIRROR_CHART_RENDER', status: 422 },
  MIRROR_VALUES_INCOMPLETE: { code: 'ECR_ANYWHERE_MIRROR_VALUES_INCOMPLETE', status: 422 },
  MIRROR_REPOSITORY_REFUSED: { code: 'ECR_ANYWHERE_MIRROR_REPOSITORY_REFUSED', status: 403 },
  MIRROR_PUSH_REFUSED: { code: 'ECR_ANYWHERE_MIRROR_PUSH_REFUSED', status: 403 },
  MIRROR_TARGET_UNREACHABLE: { code: 'ECR_ANYWHERE_MIRROR_TARGET_UNREACHABLE', status: 502 },
  MIRROR_CREDENTIALS: { code: 'ECR_ANYWHERE_MIRROR_CREDENTIALS', status: 400 },
  MIRROR_CLEANUP_REFUSED: { code: 'ECR_ANYWHERE_MIRROR_CLEANUP_REFUSED', status: 403 },
  // `ecr-anywhere migrate`: each is reported on the row of the Secret it concerns.
  /** No Secret of the named peer was found in the namespaces looked at (exit 1). */
  MIGRATE_NOTHING_FOUND: { code: 'ECR_ANYWHERE_MIGRATE_NOTHING_FOUND', status: 404 },
  /** The peer's data for a Secret names no ECR registry (a malformed annotation, auths for other registries only). */
  MIGRATE_NO_REGISTRY: { code: 'ECR_ANYWHERE_MIGRATE_NO_REGISTRY', status: 422 },
  /** The Secret lives in kube-system or kube-public, which the webhook never fills. */
  MIGRATE_PROTECTED_NAMESPACE: { code: 'ECR_ANYWHERE_MIGRATE_PROTECTED_NAMESPACE', status: 422 },
  /** The Secret was labeled, but what the API server stored carries no credentials from the webhook. */
  MIGRATE_NOT_FILLED: { code: 'ECR_ANYWHERE_MIGRATE_NOT_FILLED', status: 500 },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCodeSpec = (typeof ErrorCodes)[keyof typeof ErrorCodes];
export type ErrorCode = ErrorCodeSpec['code'];

export interface ErrorOptions {
  readonly cause?: unknown;
  /** The HTTP status the Kubernetes API server answered; 0 when it was not reached. */
  readonly apiStatus?: number;
}

/** A failure with a stable code and a message that is safe to show users (never secret material). */
export class EcrAnywhereError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Set only on Kubernetes API failures: the API server's HTTP status, 0 when it was not reached. */
  readonly apiStatus: number | undefined;

  constructor(spec: ErrorCodeSpec, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EcrAnywhereError';
    this.code = spec.code;
    this.status = spec.status;
    this.apiStatus = options.apiStatus;
  }
}

/** The message of anything thrown, for log lines and summaries. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The stable code of a failure, when it has one. */
export function errorCode(error: unknown): ErrorCode | undefined {
  return error instanceof EcrAnywhereError ? error.code : undefined;
}

/** The message with its code, as users see it on stderr and in refusals: `message [ECR_ANYWHERE_…]`. */
export function describeError(error: unknown): string {
  const code = errorCode(error);
  return code === undefined ? errorMessage(error) : `${errorMessage(error)} [${code}]`;
}
