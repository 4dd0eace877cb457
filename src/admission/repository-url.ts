// Pure: the ECR registry an Argo CD repository Secret's `url` names. Argo CD accepts OCI Helm repositories as
// `oci://host/path`, `https://host/path` (older releases, with `enableOCI: "true"`) or a bare `host[/path]`; a
// `repo-creds` url is a prefix, so a host alone is common. Only the host matters to ECR: one token per registry.
import { parseRegistryEntry, type EcrRegistry } from '../ecr/registry-host.js';

const SCHEMES = ['oci://', 'https://'];

/** The registry of `url`, or why it names none. */
export function registryOfRepositoryUrl(url: string): EcrRegistry | { readonly reason: string } {
  const trimmed = url.trim();
  if (trimmed === '') return { reason: 'it is empty' };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed)?.[0].toLowerCase();
  if (scheme !== undefined && !SCHEMES.includes(scheme)) return { reason: `scheme ${scheme} is not one of ${SCHEMES.join(', ')}` };
  const rest = scheme === undefined ? trimmed : trimmed.slice(scheme.length);
  const host = rest.split('/')[0] ?? '';
  if (host.includes('@')) return { reason: 'credentials belong in the username and password keys, not in the url' };
  const registry = parseRegistryEntry(host);
  return 'reason' in registry ? { reason: `its host "${host.slice(0, 100)}" is not an ECR registry: ${registry.reason}` } : registry;
}
