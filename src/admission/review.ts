// The slice of admission.k8s.io/v1 this webhook reads and writes, and the structural check the HTTP layer runs
// before any logic sees a review.
import type { Base64Text } from './base64.js';
import { jsonString } from './json-text.js';
import { requestShapeProblem } from './review-shape.js';

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [extra: string]: unknown;
}

export interface SecretObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  type?: string;
  data?: Record<string, string>;
  [extra: string]: unknown;
}

export interface AdmissionRequest {
  uid: string;
  kind?: { group?: string; version?: string; kind?: string };
  resource?: { group?: string; version?: string; resource?: string };
  operation?: string;
  namespace?: string;
  name?: string;
  object?: SecretObject | null;
  oldObject?: SecretObject | null;
  dryRun?: boolean;
  [extra: string]: unknown;
}

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
  patch?: Base64Text;
  status?: AdmissionStatus;
  warnings?: string[];
}

export interface AdmissionReviewResponse {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

/**
 * The JSON of an answer. JSON.stringify scans every character of a string for escapes (~3 ns each on Node 20) and
 * a patch is ~9 KB of base64 for an ECR-sized token, which never needs escaping: an answer without status or
 * warnings (every allowed one) is written out directly, the patch spliced in as it is. Refusals and answers with
 * warnings are rare and go through JSON.stringify.
 */
export function serializeReviewResponse(review: AdmissionReviewResponse): string {
  const { uid, allowed, patchType, patch, status, warnings } = review.response;
  if (status !== undefined || warnings !== undefined) return JSON.stringify(review);
  const start = `{"apiVersion":"${ADMISSION_API_VERSION}","kind":"AdmissionReview","response":{"uid":${jsonString(uid)},"allowed":${allowed}`;
  if (patch === undefined) return `${start}}}`;
  return `${start}${patchType === undefined ? '' : `,"patchType":"${patchType}"`},"patch":"${patch}"}}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks the envelope only; returns what is wrong in words a cluster operator understands. */
export function validateAdmissionReview(body: unknown): { review: AdmissionReview } | { problem: string } {
  if (!isObject(body)) return { problem: 'the body is not a JSON object' };
  if (body.kind !== 'AdmissionReview') return { problem: 'kind must be AdmissionReview' };
  if (body.apiVersion !== ADMISSION_API_VERSION) {
    return { problem: `apiVersion must be ${ADMISSION_API_VERSION} (configure admissionReviewVersions: ["v1"])` };
  }
  const request = body.request;
  if (!isObject(request)) return { problem: 'the review has no request' };
  if (typeof request.uid !== 'string' || request.uid === '') return { problem: 'request.uid is missing' };
  const shape = requestShapeProblem(request);
  if (shape !== undefined) return { problem: shape };
  return { review: body as unknown as AdmissionReview };
}
