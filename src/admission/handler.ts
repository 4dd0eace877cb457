// handle(review) → response: the webhook's logic behind one interface (controller-runtime's Handle). It plans
// (pure), fetches the tokens the plan names (through the cache), and injects them (pure).
import { EcrAnywhereError, ErrorCodes } from '../common/errors.js';
import type { Clock } from '../common/time.js';
import { planAdmission, describeSecret, type AdmissionPlan } from './plan.js';
import { ADMISSION_API_VERSION, type AdmissionRequest, type AdmissionReview, type AdmissionReviewResponse } from './review.js';
import { injectCredentials, memoizedInjectionSteps } from './credential-patch.js';
import type { EcrToken } from '../ecr/token.js';

export type AdmissionOutcome = 'patched' | 'unchanged' | 'skipped' | 'refused';

export interface HandledReview {
  readonly body: AdmissionReviewResponse;
  readonly outcome: AdmissionOutcome;
  /** Safe to log: why the review ended as it did (never secret material). */
  readonly detail: string;
  readonly secret: string;
}

export interface ReviewHandlerDeps {
  /** A region's token when one is held with enough life: no promise on the warm path. */
  readonly cachedToken: (region: string) => EcrToken | undefined;
  /** A region's token, fetched from ECR when none is held. */
  readonly tokenFor: (region: string) => Promise<EcrToken>;
  readonly defaultRegion: string;
  readonly clock: Clock;
}

/** Answers at once when every token is held (nearly always), and with a promise while one is fetched. */
export type ReviewHandler = (review: AdmissionReview) => HandledReview | Promise<HandledReview>;

function reviewResponse(response: AdmissionReviewResponse['response']): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response };
}

export function refusal(uid: string, error: EcrAnywhereError): AdmissionReviewResponse {
  return reviewResponse({
    uid,
    allowed: false,
    status: { code: error.status, reason: error.code, message: `ecr-anywhere: ${error.message} [${error.code}]` },
  });
}

function asEcrAnywhereError(error: unknown): EcrAnywhereError {
  if (error instanceof EcrAnywhereError) return error;
  return new EcrAnywhereError(ErrorCodes.INTERNAL, 'unexpected failure while fetching ECR tokens');
}

type InjectPlan = Extract<AdmissionPlan, { action: 'inject' }>;

function tokensByHostOf(plan: InjectPlan, tokens: readonly EcrToken[]): Map<string, EcrToken> {
  if (plan.registries.length === 0) return new Map([[tokens[0]!.proxyHost, tokens[0]!]]);
  const tokenOfRegion = new Map(tokens.map((token) => [token.region, token]));
  return new Map(plan.registries.map((registry) => [registry.host, tokenOfRegion.get(registry.region)!]));
}

export function createReviewHandler(deps: ReviewHandlerDeps): ReviewHandler {
  const injectionSteps = memoizedInjectionSteps();

  const inject = (request: AdmissionRequest, plan: InjectPlan, tokens: readonly EcrToken[], secret: string): HandledReview => {
    const tokensByHost = tokensByHostOf(plan, tokens);
    const credentialPatch = injectCredentials(plan.secret, tokensByHost, deps.clock(), injectionSteps);
    if (credentialPatch.operations.length === 0) {
      return { body: reviewResponse({ uid: request.uid, allowed: true }), outcome: 'unchanged', detail: 'credentials current', secret };
    }
    return {
      body: reviewResponse({ uid: request.uid, allowed: true, patchType: 'JSONPatch', patch: credentialPatch.base64 }),
      outcome: 'patched',
      detail: `registries ${[...tokensByHost.keys()].join(',')}`,
      secret,
    };
  };

  const heldTokens = (regions: readonly string[]): EcrToken[] | undefined => {
    const tokens: EcrToken[] = [];
    for (const region of regions) {
      const token = deps.cachedToken(region);
      if (token === undefined) return undefined;
      tokens.push(token);
    }
    return tokens;
  };

  return (review) => {
    const request = review.request;
    const secret = describeSecret(request);
    const plan = planAdmission(request, deps.defaultRegion);
    if (plan.action === 'skip') {
      return { body: reviewResponse({ uid: request.uid, allowed: true }), outcome: 'skipped', detail: plan.reason, secret };
    }
    if (plan.action === 'refuse') {
      return { body: refusal(request.uid, plan.error), outcome: 'refused', detail: plan.error.code, secret };
    }
    const held = heldTokens(plan.regions);
    if (held !== undefined) return inject(request, plan, held, secret);
    return Promise.all(plan.regions.map((region) => deps.tokenFor(region))).then(
      (tokens) => inject(request, plan, tokens, secret),
      (error: unknown) => {
        const failure = asEcrAnywhereError(error);
        return { body: refusal(request.uid, failure), outcome: 'refused', detail: failure.code, secret };
      },
    );
  };
}
