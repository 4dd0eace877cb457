// handle(review) → response: the webhook's logic behind one interface (controller-runtime's Handle). It plans
// (pure), fetches the tokens the plan names (through the cache), and injects them (pure).
import { EcrAnywhereError, ErrorCodes } from '../common/errors.js';
import type { Clock } from '../common/time.js';
import { planAdmission, describeSecret } from './admission-plan.js';
import { toBase64Text } from '../common/base64.js';
import { ADMISSION_API_VERSION, type AdmissionReview, type AdmissionReviewResponse } from './admission-review.js';
import { injectCredentials } from './credential-injection.js';
import { memoizedDockerConfigUpdate } from './docker-config-update.js';
import type { EcrRegistry } from '../common/registry-host.js';
import type { EcrToken } from './ecr-token.js';

export type AdmissionOutcome = 'patched' | 'unchanged' | 'skipped' | 'refused';

export interface HandledReview {
  readonly body: AdmissionReviewResponse;
  readonly outcome: AdmissionOutcome;
  /** Safe to log: why the review ended as it did (never secret material). */
  readonly detail: string;
  readonly secret: string;
}

export interface ReviewHandlerDeps {
  readonly tokenFor: (region: string) => Promise<EcrToken>;
  readonly defaultRegion: string;
  readonly clock: Clock;
}

export type ReviewHandler = (review: AdmissionReview) => Promise<HandledReview>;

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

function tokensForRegistries(registries: readonly EcrRegistry[], tokens: readonly EcrToken[]): Map<string, EcrToken> {
  const tokenOfRegion = new Map(tokens.map((token) => [token.region, token]));
  return new Map(registries.map((registry) => [registry.host, tokenOfRegion.get(registry.region)!]));
}

export function createReviewHandler(deps: ReviewHandlerDeps): ReviewHandler {
  const rememberedDockerConfigUpdate = memoizedDockerConfigUpdate();
  return async (review) => {
    const request = review.request;
    const secret = describeSecret(request);
    const plan = planAdmission(request, deps.defaultRegion);
    if (plan.action === 'skip') {
      return { body: reviewResponse({ uid: request.uid, allowed: true }), outcome: 'skipped', detail: plan.reason, secret };
    }
    if (plan.action === 'refuse') {
      return { body: refusal(request.uid, plan.error), outcome: 'refused', detail: plan.error.code, secret };
    }

    let tokens: EcrToken[];
    try {
      // One region is the common case: no Promise.all and its arrays on the hot path.
      tokens = plan.regions.length === 1 ? [await deps.tokenFor(plan.regions[0]!)] : await Promise.all(plan.regions.map((region) => deps.tokenFor(region)));
    } catch (error) {
      const failure = asEcrAnywhereError(error);
      return { body: refusal(request.uid, failure), outcome: 'refused', detail: failure.code, secret };
    }
    const tokensByHost = plan.registries.length === 0 ? new Map([[tokens[0]!.proxyHost, tokens[0]!]]) : tokensForRegistries(plan.registries, tokens);

    const credentialPatch = injectCredentials(plan.secret, tokensByHost, deps.clock(), rememberedDockerConfigUpdate);
    if (credentialPatch.operations.length === 0) {
      return { body: reviewResponse({ uid: request.uid, allowed: true }), outcome: 'unchanged', detail: 'credentials current', secret };
    }
    const patch = toBase64Text(credentialPatch.json);
    return {
      body: reviewResponse({ uid: request.uid, allowed: true, patchType: 'JSONPatch', patch }),
      outcome: 'patched',
      detail: `registries ${[...tokensByHost.keys()].join(',')}`,
      secret,
    };
  };
}
