// Maps failures of the HTTP layer (content type, size, JSON decoding) to our coded JSON errors. Messages are fixed
// texts: a JSON parser's own message can quote the body, and the body may hold Secret data.
import { EcrAnywhereError, ErrorCodes } from '../common/errors.js';

const FASTIFY_CODES: Record<string, EcrAnywhereError> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: new EcrAnywhereError(
    ErrorCodes.UNSUPPORTED_MEDIA_TYPE,
    'the body must be an AdmissionReview sent as application/json',
  ),
  FST_ERR_CTP_INVALID_TYPE: new EcrAnywhereError(ErrorCodes.UNSUPPORTED_MEDIA_TYPE, 'the Content-Type header is not valid'),
  FST_ERR_CTP_EMPTY_JSON_BODY: new EcrAnywhereError(ErrorCodes.EMPTY_BODY, 'the body is empty; expected an AdmissionReview'),
  FST_ERR_CTP_BODY_TOO_LARGE: new EcrAnywhereError(ErrorCodes.BODY_TOO_LARGE, 'the body is larger than the configured limit'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: new EcrAnywhereError(ErrorCodes.BAD_REVIEW, 'the Content-Length does not match the body'),
  FST_ERR_CTP_INVALID_JSON_BODY: new EcrAnywhereError(ErrorCodes.INVALID_JSON, 'the body is not valid JSON'),
};

export function toHttpError(error: unknown): EcrAnywhereError {
  if (error instanceof EcrAnywhereError) return error;
  const candidate = error as { code?: unknown; statusCode?: unknown; name?: unknown };
  const known = typeof candidate.code === 'string' ? FASTIFY_CODES[candidate.code] : undefined;
  if (known) return known;
  if (candidate.name === 'SyntaxError') return FASTIFY_CODES.FST_ERR_CTP_INVALID_JSON_BODY!;
  const status = typeof candidate.statusCode === 'number' ? candidate.statusCode : 500;
  if (status >= 400 && status < 500) return new EcrAnywhereError(ErrorCodes.BAD_REVIEW, 'the request could not be read');
  return new EcrAnywhereError(ErrorCodes.INTERNAL, 'internal error');
}

export function errorBody(error: EcrAnywhereError): { code: string; message: string } {
  return { code: error.code, message: error.message };
}
