// The admission endpoint, built by a function that does not listen (Fastify's way): tests drive it with inject().
// This layer owns HTTP concerns only — content type, size, decoding, uid echo — and hands a checked review to the
// handler.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import type { SecureContextOptions } from 'node:tls';
import { EcrAnywhereError, ErrorCodes } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { WEBHOOK_PATH } from '../common/names.js';
import { serializeReviewResponse, validateAdmissionReview, type AdmissionReview } from '../admission/review.js';
import { errorBody, toHttpError } from './errors.js';
import type { WebhookMetrics } from '../webhook/metrics.js';
import { refusal, type HandledReview, type ReviewHandler } from '../admission/handler.js';

/**
 * The API server sends at most ~3 MiB per object and an UPDATE review carries two (object and oldObject), plus
 * the envelope: 8 MiB leaves room without inviting abuse.
 */
export const DEFAULT_BODY_LIMIT = 8 * 1024 * 1024;

export interface WebhookAppOptions {
  readonly handler: ReviewHandler;
  readonly logger: Logger;
  readonly metrics: WebhookMetrics;
  readonly bodyLimit?: number;
  /** TLS material; absent for inject()-driven tests. */
  readonly tls?: SecureContextOptions;
}

export function buildWebhookApp(options: WebhookAppOptions): FastifyInstance {
  const serverOptions: FastifyServerOptions & { https?: SecureContextOptions } = {
    // No Fastify logger: one line per admission is written below with our own logger, and a per-request child
    // logger would only repeat it at a cost on every review.
    logger: false,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    return503OnClosing: false,
  };
  if (options.tls) serverOptions.https = options.tls;
  const app = Fastify(serverOptions) as unknown as FastifyInstance;
  const { metrics, logger } = options;
  // Only JSON is an AdmissionReview; Fastify would otherwise accept text/plain bodies as strings.
  app.removeContentTypeParser('text/plain');

  const answerInvalid = (elapsedMs: number, error: EcrAnywhereError): void => {
    metrics.admissions.inc({ outcome: 'invalid' });
    metrics.admissionDuration.observe({ outcome: 'invalid' }, elapsedMs / 1000);
    logger.warn({ code: error.code }, `rejected a request to ${WEBHOOK_PATH}: ${error.message}`);
  };

  app.setErrorHandler((error, request, reply) => {
    const mapped = toHttpError(error);
    if (request.url === WEBHOOK_PATH) answerInvalid(reply.elapsedTime, mapped);
    if (mapped.status >= 500) logger.error({ code: mapped.code, errorName: (error as Error).name }, 'unexpected error');
    return reply.code(mapped.status).send(errorBody(mapped));
  });

  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(errorBody(new EcrAnywhereError(ErrorCodes.NOT_FOUND, `no route ${request.method} ${request.url}; admission reviews go to POST ${WEBHOOK_PATH}`))),
  );

  const answer = (reply: FastifyReply, review: AdmissionReview, handled: HandledReview): void => {
    const duration = reply.elapsedTime / 1000;
    metrics.admissions.inc({ outcome: handled.outcome });
    metrics.admissionDuration.observe({ outcome: handled.outcome }, duration);
    // A refusal failed someone's Secret write: worth a warning. Everything else is routine and logged at debug, as
    // mature webhooks do (one line per review would cost more than the review itself at load); the outcome counters
    // and each Secret's updated_at annotation say what happened.
    const level = handled.outcome === 'refused' ? 'warn' : 'debug';
    if (logger.isLevelEnabled(level)) {
      logger[level](
        {
          uid: review.request.uid,
          secret: handled.secret,
          operation: review.request.operation,
          dryRun: review.request.dryRun === true,
          outcome: handled.outcome,
          detail: handled.detail,
          durationMs: Math.round(duration * 1e6) / 1e3,
        },
        `admission ${handled.outcome}`,
      );
    }
    void reply.code(200).type('application/json; charset=utf-8').send(serializeReviewResponse(handled.body));
  };

  // The handler is not expected to fail; if it does, the API server still gets a well-formed refusal.
  const handlerFailed = (review: AdmissionReview, error: unknown): HandledReview => {
    logger.error({ uid: review.request.uid, errorName: (error as Error).name }, 'admission handler failed');
    const failure = new EcrAnywhereError(ErrorCodes.INTERNAL, 'internal error while handling the review');
    return { body: refusal(review.request.uid, failure), outcome: 'refused', detail: failure.code, secret: '' };
  };

  // Not an async function: with every token held the handler answers at once, and the reply goes out in the same
  // turn, without promise hops. A handler still fetching a token returns a promise, which Fastify waits for.
  app.post(WEBHOOK_PATH, (request, reply) => {
    const checked = validateAdmissionReview(request.body);
    if ('problem' in checked) {
      const error = new EcrAnywhereError(ErrorCodes.BAD_REVIEW, `not an admission.k8s.io/v1 AdmissionReview: ${checked.problem}`);
      answerInvalid(reply.elapsedTime, error);
      void reply.code(error.status).send(errorBody(error));
      return;
    }
    const review = checked.review;
    let handled: HandledReview | Promise<HandledReview>;
    try {
      handled = options.handler(review);
    } catch (error) {
      handled = handlerFailed(review, error);
    }
    if (!(handled instanceof Promise)) {
      answer(reply, review, handled);
      return;
    }
    return handled.then(
      (result) => answer(reply, review, result),
      (error: unknown) => answer(reply, review, handlerFailed(review, error)),
    );
  });

  return app;
}
