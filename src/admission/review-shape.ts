// The types of the review fields the plan and the credential patch read, checked before any logic runs. The API
// server always sends them well-typed; anything else is a made-up review and gets a clear 400, not a TypeError
// deep in the handler (found by the fuzz suite: `object.data` as a string ended as an internal error).
import { isJsonObject as isPlainObject } from './review.js';

function optionalString(value: unknown, path: string): string | undefined {
  return value === undefined || typeof value === 'string' ? undefined : `${path} must be a string`;
}

/** A map of strings (labels, annotations, Secret data); null counts as absent, as in Kubernetes' JSON. */
function optionalStringMap(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) return `${path} must be an object of strings`;
  for (const key in value) {
    if (Object.hasOwn(value, key) && typeof value[key] !== 'string') return `${path} must be an object of strings`;
  }
  return undefined;
}

function secretProblem(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) return `${path} is not an object`;
  const metadata = value.metadata;
  if (metadata !== undefined && metadata !== null && !isPlainObject(metadata)) return `${path}.metadata is not an object`;
  const meta = isPlainObject(metadata) ? metadata : {};
  return (
    optionalString(meta.name, `${path}.metadata.name`) ??
    optionalString(meta.generateName, `${path}.metadata.generateName`) ??
    optionalString(meta.namespace, `${path}.metadata.namespace`) ??
    optionalStringMap(meta.labels, `${path}.metadata.labels`) ??
    optionalStringMap(meta.annotations, `${path}.metadata.annotations`) ??
    optionalString(value.type, `${path}.type`) ??
    optionalStringMap(value.data, `${path}.data`)
  );
}

/** What is wrongly typed in the request, in words an operator understands; undefined when all is well. */
export function requestShapeProblem(request: Record<string, unknown>): string | undefined {
  const kind = request.kind;
  if (kind !== undefined && kind !== null && !isPlainObject(kind)) return 'request.kind is not an object';
  const groupVersionKind = isPlainObject(kind) ? kind : {};
  return (
    optionalString(groupVersionKind.group, 'request.kind.group') ??
    optionalString(groupVersionKind.kind, 'request.kind.kind') ??
    optionalString(request.operation, 'request.operation') ??
    optionalString(request.namespace, 'request.namespace') ??
    optionalString(request.name, 'request.name') ??
    (request.dryRun === undefined || typeof request.dryRun === 'boolean' ? undefined : 'request.dryRun must be a boolean') ??
    secretProblem(request.object, 'request.object') ??
    secretProblem(request.oldObject, 'request.oldObject')
  );
}
