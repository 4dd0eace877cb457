// Pure: what provisioning must create or patch. A namespace needs the Secret when no managed Secret of that name
// was listed there; a ServiceAccount needs the reference when none of its imagePullSecrets names it.
import { PROTECTED_NAMESPACES } from '../common/names.js';
import type { ManagedSecretInfo } from './plan.js';

export function namespacesMissingSecret(
  enabledNamespaces: ReadonlySet<string>,
  managed: readonly ManagedSecretInfo[],
  secretName: string,
): string[] {
  const present = new Set(managed.filter((secret) => secret.name === secretName).map((secret) => secret.namespace));
  return [...enabledNamespaces].filter((namespace) => !PROTECTED_NAMESPACES.has(namespace) && !present.has(namespace)).sort();
}

export interface LocalObjectReference {
  name?: string;
}

/**
 * The imagePullSecrets list with `secretName` appended, every existing entry kept in order; `undefined` when the
 * list already names it (nothing to write).
 */
export function imagePullSecretsWith(
  existing: readonly LocalObjectReference[] | undefined,
  secretName: string,
): LocalObjectReference[] | undefined {
  const current = existing ?? [];
  if (current.some((reference) => reference.name === secretName)) return undefined;
  return [...current.map((reference) => ({ ...reference })), { name: secretName }];
}
