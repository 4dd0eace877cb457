// Pure: eatr labels a Namespace `<account>.dkr.ecr.<region>.amazonaws.com: "true"` for each registry it pulls from
// and keeps there one Secret named after that registry host.
import type { FoundSecret } from '../found.js';
import type { Inventory, NamespaceInfo } from '../inventory.js';
import { isEcrHost } from './ecr-hosts.js';

/** The registry hosts a Namespace's eatr labels name. */
export function eatrRegistriesOf(namespace: NamespaceInfo): string[] {
  return Object.entries(namespace.labels)
    .filter(([key, value]) => value === 'true' && isEcrHost(key))
    .map(([key]) => key.toLowerCase());
}

export function findEatrSecrets(inventory: Inventory, inScope: (namespace: string) => boolean): FoundSecret[] {
  const byKey = new Map(inventory.secrets.map((secret) => [`${secret.namespace}/${secret.name}`, secret]));
  return inventory.namespaces
    .filter((namespace) => inScope(namespace.name))
    .flatMap((namespace) =>
      eatrRegistriesOf(namespace).flatMap((host) => {
        const secret = byKey.get(`${namespace.name}/${host}`);
        // A label without its Secret: eatr had no AWS credentials for that registry; nothing to keep.
        return secret === undefined ? [] : [{ secret, registries: [host] }];
      }),
    );
}
