// The AdmissionReview envelope: the structural check of what arrives before any logic sees it, and the answer that
// goes back (uid echoed, patch base64-encoded, refusals as a Status). Only the HTTP layer builds envelopes.
import type { Operation } from 'fast-json-patch';
import { isJsonObject, type AdmissionRequest } from '../admission/review.js';
import { requestShapeProblem } from '../admission/review-shape.js';
import type { EcrAnywhereError } from '../common/errors.js';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

export interface AdmissionReview {
  apiVersion: string;
  kind: 'AdmissionReview';
  request: AdmissionRequest;
}

export interface AdmissionStatus {
  code: number;
  reason: string;
  message: string;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patchType?: 'JSONPatch';
  /** base64 of the JSON Patch text. */
  patch?: string;
  status?: AdmissionStatus;
  warnings?: string[];
}

export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

/** Checks the envelope only; returns what is wrong in words a cluster operator understands. */
export function validateAdmissionReview(body: unknown): { review: AdmissionReview } | { problem: string } {
  if (!isJsonObject(body)) return { problem: 'the body is not a JSON object' };
  if (body.kind !== 'AdmissionReview') return { problem: 'kind must be AdmissionReview' };
  if (body.apiVersion !== ADMISSION_API_VERSION) {
    return { problem: `apiVersion must be ${ADMISSION_API_VERSION} (configure admissionReviewVersions: ["v1"])` };
  }
  const request = body.request;
  if (!isJsonObject(request)) return { problem: 'the review has no request' };
  if (typeof request.uid !== 'string' || request.uid === '') return { problem: 'request.uid is missing' };
  const shape = requestShapeProblem(request);
  if (shape !== undefined) return { problem: shape };
  return { review: body as unknown as AdmissionReview };
}

function envelope(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response };
}

/** An allowed answer, with the operations as a base64 JSON Patch when there are any. */
export function allowedResponse(uid: string, operations: readonly Operation[], warnings: readonly string[] = []): AdmissionReviewResponse {
  const response: AdmissionResponse = { uid, allowed: true };
  if (operations.length > 0) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(operations), 'utf8').toString('base64');
  }
  if (warnings.length > 0) response.warnings = [...warnings];
  return envelope(response);
}

/** A refusal: `kubectl` shows the message, which ends with the stable code. */
export function refusedResponse(uid: string, error: EcrAnywhereError): AdmissionReviewResponse {
  return envelope({
    uid,
    allowed: false,
    status: { code: error.status, reason: error.code, message: `ecr-anywhere: ${error.message} [${error.code}]` },
  });
}
