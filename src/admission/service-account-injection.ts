// Pure: what a ServiceAccount being created needs — the pull Secret appended to its imagePullSecrets, every entry it
// already lists kept, and nothing when it already names the Secret. No I/O and no token: the reference is only a
// name, so a made-up review learns nothing from the answer (unlike /sync, no namespace standing is consulted; the
// webhook entry's namespaceSelector keeps real reviews to enabled namespaces).
import type { Operation } from 'fast-json-patch';
import { ErrorCodes } from '../common/errors.js';
import { imagePullSecretsWith, type LocalObjectReference } from '../common/image-pull-secrets.js';
import { PROTECTED_NAMESPACES } from '../common/names.js';
import { describeSecret as describeObject } from './plan.js';
import { isJsonObject, type AdmissionRequest, type ObjectMeta } from './review.js';

export interface ServiceAccountObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  imagePullSecrets?: LocalObjectReference[] | null;
  [extra: string]: unknown;
}

export type ServiceAccountOutcome = 'patched' | 'unchanged' | 'skipped';

export interface ServiceAccountDecision {
  readonly outcome: ServiceAccountOutcome;
  /** The JSON Patch: non-empty exactly when the outcome is `patched`. */
  readonly operations: readonly Operation[];
  /** Admission warnings the API server shows to the client (here: a webhook without a Secret name). */
  readonly warnings: readonly string[];
  /** Safe to log: why the review ended as it did. */
  readonly detail: string;
  /** `namespace/name` of the ServiceAccount, for logs. */
  readonly account: string;
}

/** A review that is not a ServiceAccount CREATE this path can read: answered with a coded 400, never a patch. */
export interface ServiceAccountReviewProblem {
  readonly problem: string;
}

/** Kinds and groups as Kubernetes spells them; anything else is not echoed (a made-up review could carry secrets). */
const KIND_NAME = /^[A-Z][A-Za-z0-9]{0,62}$/;
const GROUP_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function kindProblem(request: AdmissionRequest): string | undefined {
  const group = request.kind?.group ?? '';
  const kind = request.kind?.kind ?? '';
  if (kind === 'ServiceAccount' && group === '') return undefined;
  const shownKind = kind === '' ? '<no kind>' : KIND_NAME.test(kind) ? kind : '<another kind>';
  const named = group === '' ? shownKind : `${GROUP_NAME.test(group) ? group : '<another group>'}/${shownKind}`;
  return `this path admits core/v1 ServiceAccounts only, got ${named}: the webhook entry's rules must name serviceaccounts`;
}

/** imagePullSecrets as Kubernetes types it: absent, null, or a list of objects whose name is a string. */
function imagePullSecretsProblem(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) return 'request.object.imagePullSecrets must be a list';
  for (const [index, entry] of value.entries()) {
    if (!isJsonObject(entry)) return `request.object.imagePullSecrets[${index}] is not an object`;
    if (entry.name !== undefined && typeof entry.name !== 'string') return `request.object.imagePullSecrets[${index}].name must be a string`;
  }
  return undefined;
}

/** The JSON Patch that appends `secretName`, or none when the account already lists it. */
export function pullSecretPatch(account: ServiceAccountObject, secretName: string): Operation[] {
  const existing = account.imagePullSecrets ?? undefined;
  const wanted = imagePullSecretsWith(existing, secretName);
  if (wanted === undefined) return [];
  // Append to a list that exists (the minimal change); create the list (or replace a null) otherwise.
  if (existing === undefined) return [{ op: 'add', path: '/imagePullSecrets', value: wanted }];
  return [{ op: 'add', path: '/imagePullSecrets/-', value: { name: secretName } }];
}

function skipped(detail: string, account: string, warnings: readonly string[] = []): ServiceAccountDecision {
  return { outcome: 'skipped', operations: [], warnings, detail, account };
}

/** The warning when the webhook serves this path without a Secret name to add (the chart always sets one). */
export const NO_SECRET_NAME_WARNING =
  `ecr-anywhere: the ServiceAccount was admitted unchanged: the webhook has no SERVICE_ACCOUNT_PULL_SECRET to add to imagePullSecrets [${ErrorCodes.CONFIG.code}]`;

/**
 * The decision for one review on the ServiceAccount path: a problem (wrong kind, malformed account) or what to
 * patch. `secretName` undefined: the webhook was not told which Secret to add, so nothing is.
 */
export function decideServiceAccountAdmission(
  request: AdmissionRequest,
  secretName: string | undefined,
): ServiceAccountDecision | ServiceAccountReviewProblem {
  const wrongKind = kindProblem(request);
  if (wrongKind !== undefined) return { problem: wrongKind };
  const account = describeObject(request);
  if (request.operation !== 'CREATE') return skipped(`operation ${request.operation ?? 'unknown'}: only CREATE is injected`, account);
  const object: unknown = request.object;
  if (!isJsonObject(object)) return { problem: 'a ServiceAccount CREATE review must carry the account as request.object' };
  const listProblem = imagePullSecretsProblem(object.imagePullSecrets);
  if (listProblem !== undefined) return { problem: listProblem };
  // Checked above: the fields read below are what Kubernetes types them as.
  const serviceAccount = object as ServiceAccountObject;
  const namespace = request.namespace ?? serviceAccount.metadata?.namespace ?? '';
  if (PROTECTED_NAMESPACES.has(namespace)) return skipped(`namespace ${namespace} is never mutated`, account);
  if (secretName === undefined) return skipped('no SERVICE_ACCOUNT_PULL_SECRET', account, [NO_SECRET_NAME_WARNING]);
  const operations = pullSecretPatch(serviceAccount, secretName);
  if (operations.length === 0) return { outcome: 'unchanged', operations, warnings: [], detail: `already lists ${secretName}`, account };
  return { outcome: 'patched', operations, warnings: [], detail: `added ${secretName}`, account };
}

/** The ServiceAccount path's logic behind one interface, as `handle` is /sync's; synchronous, since it needs no I/O. */
export type ServiceAccountHandler = (request: AdmissionRequest) => ServiceAccountDecision | ServiceAccountReviewProblem;

export function createServiceAccountHandler(secretName: string | undefined): ServiceAccountHandler {
  return (request) => decideServiceAccountAdmission(request, secretName);
}
