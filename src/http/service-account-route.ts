// POST /mutate-serviceaccounts: the opt-in second webhook entry, answered on the same TLS port as /sync. The same
// envelope checks and answers as /sync; what the account needs is decided by the pure ServiceAccount handler. A
// review this path cannot read (wrong kind, malformed account) gets a coded 400 — with the entry's failurePolicy
// Ignore the API server then creates the account unchanged, so this path never blocks a ServiceAccount.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceAccountDecision, ServiceAccountHandler } from '../admission/service-account-injection.js';
import { EcrAnywhereError, ErrorCodes } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { SERVICE_ACCOUNT_WEBHOOK_PATH } from '../common/names.js';
import type { WebhookMetrics } from './metrics.js';
import { errorBody } from './errors.js';
import { allowedResponse, validateAdmissionReview, type AdmissionReview } from './review-envelope.js';

export interface ServiceAccountRouteOptions {
  readonly handler: ServiceAccountHandler;
  readonly logger: Logger;
  readonly metrics: WebhookMetrics;
}

/** Counts and logs a request to this path that got no decision (bad body, wrong envelope, wrong kind). */
export function recordInvalidServiceAccountReview(options: Pick<ServiceAccountRouteOptions, 'logger' | 'metrics'>, error: EcrAnywhereError): void {
  options.metrics.serviceAccountAdmissions.inc({ outcome: 'invalid' });
  options.logger.warn({ code: error.code }, `rejected a request to ${SERVICE_ACCOUNT_WEBHOOK_PATH}: ${error.message}`);
}

function recordDecision(options: ServiceAccountRouteOptions, review: AdmissionReview, decision: ServiceAccountDecision, elapsedMs: number): void {
  options.metrics.serviceAccountAdmissions.inc({ outcome: decision.outcome });
  // A warning means the webhook is misconfigured (no Secret name): worth a warn line; the rest is routine.
  const level = decision.warnings.length > 0 ? 'warn' : 'debug';
  if (!options.logger.isLevelEnabled(level)) return;
  options.logger[level](
    {
      uid: review.request.uid,
      serviceAccount: decision.account,
      operation: review.request.operation,
      dryRun: review.request.dryRun === true,
      outcome: decision.outcome,
      detail: decision.detail,
      durationMs: Math.round(elapsedMs * 1e3) / 1e3,
    },
    `service account admission ${decision.outcome}`,
  );
}

function badReview(options: ServiceAccountRouteOptions, reply: FastifyReply, problem: string): FastifyReply {
  const error = new EcrAnywhereError(ErrorCodes.BAD_REVIEW, `not a ServiceAccount admission review this path can answer: ${problem}`);
  recordInvalidServiceAccountReview(options, error);
  return reply.code(error.status).send(errorBody(error));
}

function admitServiceAccount(options: ServiceAccountRouteOptions, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const checked = validateAdmissionReview(request.body);
  if ('problem' in checked) return badReview(options, reply, checked.problem);
  const decision = options.handler(checked.review.request);
  if ('problem' in decision) return badReview(options, reply, decision.problem);
  recordDecision(options, checked.review, decision, reply.elapsedTime);
  const answer = allowedResponse(checked.review.request.uid, decision.operations, decision.warnings);
  return reply.code(200).type('application/json; charset=utf-8').send(JSON.stringify(answer));
}

export function addServiceAccountRoute(app: FastifyInstance, options: ServiceAccountRouteOptions): void {
  app.post(SERVICE_ACCOUNT_WEBHOOK_PATH, (request, reply) => admitServiceAccount(options, request, reply));
}
