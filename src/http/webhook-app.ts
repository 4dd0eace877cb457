// The admission endpoint, built by a function that does not listen (Fastify's way): tests drive it with inject().
// This layer owns every HTTP concern — content type, size, decoding, the envelope and uid echo, serialization,
// logging and metrics — and hands the checked request to the handler, which returns a decision.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { SecureContextOptions } from 'node:tls';
import type { AdmissionDecision, AdmissionHandler } from '../admission/handler.js';
import { refused } from '../admission/handler.js';
import type { ServiceAccountHandler } from '../admission/service-account-injection.js';
import { EcrAnywhereError, ErrorCodes } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { SERVICE_ACCOUNT_WEBHOOK_PATH, WEBHOOK_PATH } from '../common/names.js';
import type { Clock } from '../common/time.js';
import type { WebhookMetrics } from './metrics.js';
import { errorBody, toHttpError } from './errors.js';
import { addServiceAccountRoute, recordInvalidServiceAccountReview } from './service-account-route.js';
import { allowedResponse, refusedResponse, validateAdmissionReview, type AdmissionReview, type AdmissionReviewResponse } from './review-envelope.js';

/**
 * The API server sends at most ~3 MiB per object and an UPDATE review carries two (object and oldObject), plus
 * the envelope: 8 MiB leaves room without inviting abuse.
 */
export const DEFAULT_BODY_LIMIT = 8 * 1024 * 1024;

export interface WebhookAppOptions {
  readonly handler: AdmissionHandler;
  readonly logger: Logger;
  readonly metrics: WebhookMetrics;
  readonly clock: Clock;
  readonly bodyLimit?: number;
  /** Serves POST /mutate-serviceaccounts when given (the chart's opt-in second webhook entry). */
  readonly serviceAccountHandler?: ServiceAccountHandler;
  /** TLS material; absent for inject()-driven tests. */
  readonly tls?: SecureContextOptions;
}

function createServer(options: WebhookAppOptions): FastifyInstance {
  const serverOptions: FastifyServerOptions & { https?: SecureContextOptions } = {
    // No Fastify logger: one line per admission is written below with our own logger, and a per-request child
    // logger would only repeat it at a cost on every review.
    logger: false,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    return503OnClosing: false,
  };
  if (options.tls) serverOptions.https = options.tls;
  const app = Fastify(serverOptions) as unknown as FastifyInstance;
  // Only JSON is an AdmissionReview; Fastify would otherwise accept text/plain bodies as strings.
  app.removeContentTypeParser('text/plain');
  return app;
}

/** Counts and logs a request that never became a review (bad body, wrong envelope). */
function recordInvalid(options: WebhookAppOptions, elapsedMs: number, error: EcrAnywhereError): void {
  options.metrics.admissions.inc({ outcome: 'invalid' });
  options.metrics.admissionDuration.observe({ outcome: 'invalid' }, elapsedMs / 1000);
  options.logger.warn({ code: error.code }, `rejected a request to ${WEBHOOK_PATH}: ${error.message}`);
}

/** Bad input still gets a coded JSON answer (never a body quoted back), and only our route counts as invalid. */
function handleHttpErrors(app: FastifyInstance, options: WebhookAppOptions): void {
  app.setErrorHandler((error, request, reply) => {
    const mapped = toHttpError(error);
    // routeOptions.url is the matched route: the API server calls `/sync?timeout=10s`, so raw URLs never match.
    if (request.routeOptions.url === WEBHOOK_PATH) recordInvalid(options, reply.elapsedTime, mapped);
    if (request.routeOptions.url === SERVICE_ACCOUNT_WEBHOOK_PATH) recordInvalidServiceAccountReview(options, mapped);
    if (mapped.status >= 500) options.logger.error({ code: mapped.code, errorName: (error as Error).name }, 'unexpected error');
    return reply.code(mapped.status).send(errorBody(mapped));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(errorBody(new EcrAnywhereError(ErrorCodes.NOT_FOUND, `no route ${request.method} ${request.url}; admission reviews go to POST ${WEBHOOK_PATH}`))),
  );
}

function answerOf(review: AdmissionReview, decision: AdmissionDecision): AdmissionReviewResponse {
  const uid = review.request.uid;
  return decision.refusal ? refusedResponse(uid, decision.refusal) : allowedResponse(uid, decision.operations, decision.warnings);
}

/** Metrics and one log line per review: a refusal failed someone's write (warn), the rest is routine (debug). */
function recordDecision(options: WebhookAppOptions, review: AdmissionReview, decision: AdmissionDecision, elapsedMs: number): void {
  const seconds = elapsedMs / 1000;
  options.metrics.admissions.inc({ outcome: decision.outcome });
  options.metrics.admissionDuration.observe({ outcome: decision.outcome }, seconds);
  if (decision.waitedOnEcr) options.metrics.admissionsWaitedOnEcr.inc();
  for (const region of decision.heldTokenRegions) options.metrics.heldTokenAdmissions.inc({ region });
  const level = decision.outcome === 'refused' || decision.heldTokenRegions.length > 0 ? 'warn' : 'debug';
  if (!options.logger.isLevelEnabled(level)) return;
  options.logger[level](
    {
      uid: review.request.uid,
      secret: decision.secret,
      operation: review.request.operation,
      dryRun: review.request.dryRun === true,
      outcome: decision.outcome,
      detail: decision.detail,
      ...(decision.heldTokenRegions.length > 0 ? { heldTokenRegions: decision.heldTokenRegions } : {}),
      durationMs: Math.round(seconds * 1e6) / 1e3,
    },
    `admission ${decision.outcome}`,
  );
}

/** The handler is not expected to fail; if it does, the API server still gets a well-formed refusal. */
async function decide(options: WebhookAppOptions, review: AdmissionReview, reply: FastifyReply): Promise<AdmissionDecision> {
  // The response closes before it is written only when the caller went away (the request's own 'close' fires as
  // soon as its body has been read, so it cannot tell).
  const stopped = new AbortController();
  // 'close' also follows every answer written; aborting then would build an AbortError per review for nothing.
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) stopped.abort();
  });
  try {
    return await options.handler(review.request, { now: options.clock(), signal: stopped.signal });
  } catch (error) {
    options.logger.error({ uid: review.request.uid, errorName: (error as Error).name }, 'admission handler failed');
    return refused(new EcrAnywhereError(ErrorCodes.INTERNAL, 'internal error while handling the review'), '');
  }
}

async function admit(options: WebhookAppOptions, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const checked = validateAdmissionReview(request.body);
  if ('problem' in checked) {
    const error = new EcrAnywhereError(ErrorCodes.BAD_REVIEW, `not an admission.k8s.io/v1 AdmissionReview: ${checked.problem}`);
    recordInvalid(options, reply.elapsedTime, error);
    return reply.code(error.status).send(errorBody(error));
  }
  const decision = await decide(options, checked.review, reply);
  recordDecision(options, checked.review, decision, reply.elapsedTime);
  return reply.code(200).type('application/json; charset=utf-8').send(JSON.stringify(answerOf(checked.review, decision)));
}

export function buildWebhookApp(options: WebhookAppOptions): FastifyInstance {
  const app = createServer(options);
  handleHttpErrors(app, options);
  app.post(WEBHOOK_PATH, (request, reply) => admit(options, request, reply));
  if (options.serviceAccountHandler) addServiceAccountRoute(app, { ...options, handler: options.serviceAccountHandler });
  return app;
}
