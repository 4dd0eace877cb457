// Pure: the ECR registries among a peer's data, validated as the webhook validates the registries annotation.
import { parseRegistryHost } from '../../ecr/registry-host.js';

export function isEcrHost(host: string): boolean {
  return 'host' in parseRegistryHost(host);
}

/** The ECR registry hosts among `hosts` (others, such as Docker Hub entries next to them, are not ours to fill). */
export function ecrHostsAmong(hosts: readonly string[]): string[] {
  return [...new Set(hosts.map((host) => host.trim().toLowerCase()).filter(isEcrHost))];
}
