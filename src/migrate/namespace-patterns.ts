// Pure: which namespaces a run may look in. `--namespaces` takes names or patterns where `*` stands for any run of
// characters, as k8s-ecr-login-renew's TARGET_NAMESPACE does (`team-*`), so its value can be passed on unchanged.

/** Undefined: every namespace. */
export type NamespaceFilter = readonly string[] | undefined;

function patternRegExp(pattern: string): RegExp {
  const literal = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'));
  return new RegExp(`^${literal.join('.*')}$`);
}

export function namespaceMatcher(filter: NamespaceFilter): (namespace: string) => boolean {
  if (filter === undefined) return () => true;
  const patterns = filter.map(patternRegExp);
  return (namespace) => patterns.some((pattern) => pattern.test(namespace));
}

/** The namespaces to list one by one when the filter names only exact namespaces; undefined: list cluster-wide. */
export function exactNamespaces(filter: NamespaceFilter): readonly string[] | undefined {
  return filter !== undefined && filter.every((entry) => !entry.includes('*')) ? filter : undefined;
}
