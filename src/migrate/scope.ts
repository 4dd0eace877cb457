// Pure: which Secrets to ask the API server for — one name when the peer uses one, and the namespaces to list one by
// one when they are known (eatr's labeled namespaces, or exact --namespaces), else a cluster-wide list.
import type { NamespaceInfo } from './inventory.js';
import { exactNamespaces, namespaceMatcher } from './namespace-patterns.js';
import { eatrRegistriesOf } from './peers/eatr.js';
import type { Peer } from './peer-names.js';
import { secretNameOf, type FindOptions } from './peers/peers.js';

export interface SecretListScope {
  readonly name: string | undefined;
  /** Undefined: all namespaces. */
  readonly namespaces: readonly string[] | undefined;
}

export function secretListScope(peer: Peer, namespaces: readonly NamespaceInfo[], options: FindOptions): SecretListScope {
  const name = secretNameOf(peer, options);
  if (peer === 'eatr') {
    const inScope = namespaceMatcher(options.namespaces);
    return { name, namespaces: namespaces.filter((namespace) => inScope(namespace.name) && eatrRegistriesOf(namespace).length > 0).map((namespace) => namespace.name) };
  }
  const exact = exactNamespaces(options.namespaces);
  // A namespace that does not exist has nothing to list (and a list there would only fail).
  const existing = new Set(namespaces.map((namespace) => namespace.name));
  return { name, namespaces: exact?.filter((namespace) => existing.has(namespace)) };
}
