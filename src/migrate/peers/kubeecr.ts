// Pure: KubeECR (deft.com) updates in place every Secret annotated `deft.com/kubeecr: <account>/<region>`.
import { knownRegion } from '../../ecr/regions.js';
import type { FoundSecret } from '../found.js';
import type { Inventory } from '../inventory.js';
import { isEcrHost } from './ecr-hosts.js';
import { KUBEECR_ANNOTATION } from '../peer-names.js';

/** The registry host an annotation value names, or why it names none. */
export function kubeEcrRegistry(value: string): { readonly host: string } | { readonly problem: string } {
  const match = /^\s*(\d{12})\s*\/\s*([a-z0-9-]+)\s*$/.exec(value);
  const region = match?.[2] === undefined ? undefined : knownRegion(match[2]);
  if (match === null || region === undefined) {
    return { problem: `${KUBEECR_ANNOTATION} "${value}" is not <12-digit account>/<region>` };
  }
  const host = `${match[1]}.dkr.ecr.${match[2]}.${region.dnsSuffix}`;
  return isEcrHost(host) ? { host } : { problem: `${KUBEECR_ANNOTATION} "${value}" names no ECR registry (${host})` };
}

export function findKubeEcrSecrets(inventory: Inventory, inScope: (namespace: string) => boolean): FoundSecret[] {
  return inventory.secrets.flatMap((secret) => {
    const value = secret.annotations[KUBEECR_ANNOTATION];
    if (value === undefined || !inScope(secret.namespace)) return [];
    const registry = kubeEcrRegistry(value);
    return [{ secret, registries: 'host' in registry ? [registry.host] : [], ...('problem' in registry ? { registryProblem: registry.problem } : {}) }];
  });
}
