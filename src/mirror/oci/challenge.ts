// Parsing of a registry's `WWW-Authenticate` challenge (RFC 7235): `Basic realm="…"` (docker-registry with
// htpasswd, ECR) or `Bearer realm="…",service="…",scope="…"` (Docker Hub, Harbor, GHCR, token-auth registries).

export type Challenge =
  | { readonly scheme: 'basic' }
  | { readonly scheme: 'bearer'; readonly realm: string; readonly service: string | undefined; readonly scope: string | undefined };

const PARAMETER = /([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;

/** The first challenge we can answer, or undefined (no header, or only schemes we do not speak). */
export function parseChallenge(header: string | null | undefined): Challenge | undefined {
  if (header === null || header === undefined) return undefined;
  const trimmed = header.trim();
  const space = trimmed.indexOf(' ');
  const scheme = (space === -1 ? trimmed : trimmed.slice(0, space)).toLowerCase();
  if (scheme === 'basic') return { scheme: 'basic' };
  if (scheme !== 'bearer') return undefined;
  const parameters = new Map<string, string>();
  for (const match of trimmed.slice(space + 1).matchAll(PARAMETER)) {
    parameters.set((match[1] ?? '').toLowerCase(), (match[2] ?? match[3] ?? '').replace(/\\(.)/g, '$1'));
  }
  const realm = parameters.get('realm');
  if (realm === undefined || realm === '') return undefined;
  return { scheme: 'bearer', realm, service: parameters.get('service'), scope: parameters.get('scope') };
}

/** The scope a repository operation needs (`repository:<name>:pull` or `pull,push`). */
export function repositoryScope(repository: string, push: boolean): string {
  return `repository:${repository}:${push ? 'pull,push' : 'pull'}`;
}
