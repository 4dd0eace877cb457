// handle(request, { now, signal }) → decision: the webhook's logic behind one interface (controller-runtime's
// Handle). It plans (pure), fetches the tokens the plan names (through the cache), and builds the patch (pure). The
// HTTP layer alone turns a decision into an AdmissionReview answer, logs it and counts it.
import type { Operation } from 'fast-json-patch';
import { EcrAnywhereError, ErrorCodes } from '../common/errors.js';
import { formatRfc3339 } from '../common/time.js';
import type { AssumableRole } from '../ecr/role-credentials.js';
import type { EcrToken } from '../ecr/token.js';
import type { TokenLease } from '../ecr/token-cache.js';
import { credentialPatch, repositoryCredentialPatch } from './credential-patch.js';
import { updateDockerConfig, type DockerConfigUpdate } from './docker-config-update.js';
import { describeSecret, planAdmission, type AdmissionPlan } from './plan.js';
import type { AdmissionRequest } from './review.js';
import { disallowedRegistry, OPEN_TENANCY, trustedReviewStanding, type NamespacePolicy, type NamespaceStanding } from './tenant-policy.js';

export type AdmissionOutcome = 'patched' | 'unchanged' | 'skipped' | 'refused';

export interface AdmissionContext {
  readonly now: Date;
  /** Aborted when the caller stops waiting: the handler then stops waiting for ECR too. */
  readonly signal: AbortSignal;
}

export interface AdmissionDecision {
  readonly outcome: AdmissionOutcome;
  readonly allowed: boolean;
  /** The JSON Patch: non-empty exactly when the outcome is `patched`. */
  readonly operations: readonly Operation[];
  /** Why the write is refused, when it is. */
  readonly refusal: EcrAnywhereError | undefined;
  /** Admission warnings the API server shows to the client. */
  readonly warnings: readonly string[];
  /** Safe to log: why the review ended as it did (never secret material). */
  readonly detail: string;
  /** `namespace/name` of the Secret, for logs. */
  readonly secret: string;
  /** True when answering waited on an ECR call (after warm-up, renewals run ahead and nothing waits). */
  readonly waitedOnEcr: boolean;
  /** Regions whose held token was served because fetching a new one failed. */
  readonly heldTokenRegions: readonly string[];
}

export type AdmissionHandler = (request: AdmissionRequest, context: AdmissionContext) => Promise<AdmissionDecision>;

export interface AdmissionHandlerDeps {
  /**
   * A token scope's token (a region, or `public.ecr.aws` for ECR Public) for the namespace's role (undefined: the webhook's own identity): the held one while it has
   * enough life, else fetched from ECR (single-flight), else a held one still usable during an ECR failure (the
   * lease then names the failure).
   */
  readonly tokenFor: (region: string, role: AssumableRole | undefined) => Promise<TokenLease>;
  /**
   * What the namespace watch knows of a namespace. Absent: every namespace counts as enabled under the open defaults
   * (any registry, the webhook's own identity) — for callers without a cluster.
   */
  readonly namespaceStanding?: (namespace: string) => NamespaceStanding;
  readonly defaultRegion: string;
  /** How the new `.dockerconfigjson` is computed; the webhook passes a memoized one. */
  readonly updateDockerConfig?: DockerConfigUpdate;
}

type InjectPlan = Extract<AdmissionPlan, { action: 'inject' }>;

const NO_ECR = { waitedOnEcr: false, heldTokenRegions: [] } as const;

function allowed(outcome: 'unchanged' | 'skipped', detail: string, secret: string): AdmissionDecision {
  return { outcome, allowed: true, operations: [], refusal: undefined, warnings: [], detail, secret, ...NO_ECR };
}

export function refused(error: EcrAnywhereError, secret: string, waitedOnEcr = false): AdmissionDecision {
  return { outcome: 'refused', allowed: false, operations: [], refusal: error, warnings: [], detail: error.code, secret, waitedOnEcr, heldTokenRegions: [] };
}

/**
 * The Kubernetes admission warning for a held token served during an ECR failure (no secret material). The API
 * server may cut warnings longer than 256 characters, so what happened comes first and ECR's message is shortened.
 */
export function heldTokenWarning(lease: TokenLease): string {
  const failure = lease.fetchFailure!;
  const head =
    `ecr-anywhere: ECR failed (${failure.code}), so the token already held for region ${lease.token.region} was written; ` +
    `it expires at ${formatRfc3339(lease.token.expiresAt)}: `;
  return head + failure.message.slice(0, Math.max(0, 256 - head.length));
}

function asEcrAnywhereError(error: unknown): EcrAnywhereError {
  if (error instanceof EcrAnywhereError) return error;
  return new EcrAnywhereError(ErrorCodes.INTERNAL, 'unexpected failure while fetching ECR tokens');
}

/** Registry host → token: the planned hosts, or the default registry of the one region. `tokens` follow `plan.regions`. */
function tokensByHostOf(plan: InjectPlan, tokens: readonly EcrToken[]): Map<string, EcrToken> {
  if (plan.registries.length === 0) return new Map([[tokens[0]!.proxyHost, tokens[0]!]]);
  const tokenOfScope = new Map(plan.regions.map((scope, index) => [scope, tokens[index]!]));
  return new Map(plan.registries.map((registry) => [registry.host, tokenOfScope.get(registry.tokenScope)!]));
}

/** The tokens, unless the caller stops waiting first. */
function tokensUnlessAborted(fetching: Promise<TokenLease[]>, signal: AbortSignal): Promise<TokenLease[]> {
  if (signal.aborted) return Promise.reject(abandoned());
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(abandoned());
    signal.addEventListener('abort', onAbort, { once: true });
    fetching.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function abandoned(): EcrAnywhereError {
  return new EcrAnywhereError(ErrorCodes.ECR_TIMEOUT, 'the API server stopped waiting before the ECR tokens arrived');
}

function unknownNamespace(namespace: string): EcrAnywhereError {
  return new EcrAnywhereError(
    ErrorCodes.NAMESPACE_UNKNOWN,
    `namespace ${JSON.stringify(namespace)} is not (yet) known to the webhook's namespace watch; retry in a moment`,
  );
}

export function createAdmissionHandler(deps: AdmissionHandlerDeps): AdmissionHandler {
  const update = deps.updateDockerConfig ?? updateDockerConfig;
  const standingOf = deps.namespaceStanding ?? trustedReviewStanding(OPEN_TENANCY);
  return async (request, context) => {
    const secret = describeSecret(request);
    const plan = planAdmission(request, deps.defaultRegion);
    if (plan.action === 'skip') return allowed('skipped', plan.reason, secret);
    if (plan.action === 'refuse') return refused(plan.error, secret);
    // The namespace's standing comes from the cluster, not from the review: a forged review naming a namespace
    // that is not enabled gets no credentials.
    const standing = standingOf(plan.namespace);
    if (standing.state === 'not-enabled') return allowed('skipped', standing.reason, secret);
    if (standing.state === 'unknown') return refused(unknownNamespace(plan.namespace), secret);
    if (standing.state === 'refused') return refused(standing.error, secret);
    const policy: NamespacePolicy = standing.policy;
    const named = disallowedRegistry(plan.registries.map((registry) => registry.host), policy);
    if (named) return refused(named, secret);
    let leases: TokenLease[];
    let waitedOnEcr = false;
    try {
      leases = await tokensUnlessAborted(
        Promise.all(plan.regions.map((region) => deps.tokenFor(region, policy.role).then((lease) => ((waitedOnEcr ||= lease.waited), lease)))),
        context.signal,
      );
    } catch (error) {
      return refused(asEcrAnywhereError(error), secret, true);
    }
    const held = leases.filter((lease) => lease.fetchFailure !== undefined);
    const ecr = { waitedOnEcr, heldTokenRegions: held.map((lease) => lease.token.region) };
    const warnings = held.map(heldTokenWarning);
    const tokensByHost = tokensByHostOf(plan, leases.map((lease) => lease.token));
    // The default registry is known only from ECR's answer (the account of the identity that asked).
    const defaulted = plan.registries.length === 0 ? disallowedRegistry([...tokensByHost.keys()], policy) : undefined;
    if (defaulted) return refused(defaulted, secret, waitedOnEcr);
    const operations =
      plan.shape === 'argocd-repository'
        ? repositoryCredentialPatch(plan.secret, tokensByHost, context.now)
        : credentialPatch(plan.secret, tokensByHost, context.now, update);
    if (operations.length === 0) return { ...allowed('unchanged', 'credentials current', secret), warnings, ...ecr };
    return { outcome: 'patched', allowed: true, operations, refusal: undefined, warnings, detail: `registries ${[...tokensByHost.keys()].join(',')}`, secret, ...ecr };
  };
}
