// The slice of admission.k8s.io/v1 the admission logic reads: the request and the Secret inside it. The envelope
// (the AdmissionReview around them, and the answer) belongs to the HTTP layer (src/http/review-envelope.ts).

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
  immutable?: boolean;
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

/** A JSON object (not null, not an array): what decoded reviews and dockerconfigjson are checked against. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
