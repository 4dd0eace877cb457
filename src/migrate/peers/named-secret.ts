// Pure: k8s-ecr-login-renew (DOCKER_SECRET_NAME in its TARGET_NAMESPACE) and registry-creds (`awsecr-cred` in every
// namespace) each keep a Secret of one fixed name, its auths keyed by the ECR registries it logged in to.
import type { FoundSecret } from '../found.js';
import type { Inventory } from '../inventory.js';
import { ecrHostsAmong } from './ecr-hosts.js';

export function findNamedSecrets(inventory: Inventory, name: string, inScope: (namespace: string) => boolean): FoundSecret[] {
  return inventory.secrets
    .filter((secret) => secret.name === name && inScope(secret.namespace))
    .map((secret) => {
      const registries = ecrHostsAmong(secret.authRegistries);
      return registries.length > 0
        ? { secret, registries }
        : { secret, registries, registryProblem: `its .dockerconfigjson has no entry for an ECR registry (${secret.authRegistries.length} other entries)` };
    });
}
