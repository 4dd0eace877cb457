// Pure: what provisioning must create or patch. A namespace needs the Secret when no managed Secret of that name
// was listed there; a ServiceAccount needs the reference when none of its imagePullSecrets names it, and only in a
// namespace that (now) holds the Secret.
import { PROTECTED_NAMESPACES } from '../common/names.js';
import { isInScope, type ManagedSecretInfo } from './plan.js';

export function namespacesMissingSecret(
  enabledNamespaces: ReadonlySet<string>,
  managed: readonly ManagedSecretInfo[],
  secretName: string,
): string[] {
  const present = new Set(managed.filter((secret) => secret.name === secretName).map((secret) => secret.namespace));
  return [...enabledNamespaces].filter((namespace) => !PROTECTED_NAMESPACES.has(namespace) && !present.has(namespace)).sort();
}

/** What creating the Secret in one namespace came to. */
export type CreateOutcome = 'created' | 'conflict' | 'gone' | 'failed' | 'planned';

/**
 * Namespaces whose ServiceAccounts may point at the Secret: in the run's scope, where it was listed, plus where this
 * run created it (verified or not: it exists and is ours) or would create it (dry run). `created[i]` is the outcome
 * for `missing[i]`. A same-named managed Secret outside the scope (not enabled, or not matching the run's selector)
 * never makes that namespace's ServiceAccounts ours to patch.
 */
export function namespacesWithSecret(
  enabledNamespaces: ReadonlySet<string>,
  managed: readonly ManagedSecretInfo[],
  secretName: string,
  missing: readonly string[],
  created: readonly CreateOutcome[],
): Set<string> {
  const withSecret = new Set(managed.filter((secret) => secret.name === secretName && isInScope(secret, enabledNamespaces)).map((secret) => secret.namespace));
  missing.forEach((namespace, index) => {
    const outcome = created[index];
    if (outcome === 'created' || outcome === 'failed' || outcome === 'planned') withSecret.add(namespace);
  });
  return withSecret;
}

/** The listed ServiceAccounts to link: in a namespace holding the Secret, never in kube-system / kube-public. */
export function serviceAccountsToLink<T extends { readonly namespace: string }>(accounts: readonly T[], withSecret: ReadonlySet<string>): T[] {
  return accounts.filter((account) => withSecret.has(account.namespace) && !PROTECTED_NAMESPACES.has(account.namespace));
}
