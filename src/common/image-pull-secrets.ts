// Pure: a pull Secret appended to an imagePullSecrets list. Both programs add one — the refresher's provisioning to
// existing ServiceAccounts, the webhook to ServiceAccounts being created — and must agree on what "already there" means.

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
