// The peers migrate knows: how to find the Secrets each manages, and which Secrets to list to find them.
import type { FoundSecret } from '../found.js';
import type { Inventory } from '../inventory.js';
import { namespaceMatcher, type NamespaceFilter } from '../namespace-patterns.js';
import { findEatrSecrets } from './eatr.js';
import { findKubeEcrSecrets } from './kubeecr.js';
import { findNamedSecrets } from './named-secret.js';
import { LOGIN_RENEW_DEFAULT_SECRET_NAME, REGISTRY_CREDS_SECRET_NAME, type Peer } from '../peer-names.js';

export interface FindOptions {
  readonly namespaces: NamespaceFilter;
  /** k8s-ecr-login-renew's DOCKER_SECRET_NAME. */
  readonly secretName: string | undefined;
}

/** The one Secret name the peer uses, so the listing can ask the API server for that name only; undefined: any. */
export function secretNameOf(peer: Peer, options: FindOptions): string | undefined {
  if (peer === 'k8s-ecr-login-renew') return options.secretName ?? LOGIN_RENEW_DEFAULT_SECRET_NAME;
  if (peer === 'registry-creds') return REGISTRY_CREDS_SECRET_NAME;
  return undefined;
}

export function findPeerSecrets(peer: Peer, inventory: Inventory, options: FindOptions): FoundSecret[] {
  const inScope = namespaceMatcher(options.namespaces);
  const name = secretNameOf(peer, options);
  if (name !== undefined) return findNamedSecrets(inventory, name, inScope);
  return peer === 'kubeecr' ? findKubeEcrSecrets(inventory, inScope) : findEatrSecrets(inventory, inScope);
}
