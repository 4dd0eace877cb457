// What migrate reads from the cluster, reduced to plain data: the finders and the plan see only this. A Secret's
// credentials never get here; of its `.dockerconfigjson` only the registries its `auths` keys name are kept.

export interface NamespaceInfo {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface SecretInfo {
  readonly namespace: string;
  readonly name: string;
  /** As stored; the API server defaults it to Opaque. */
  readonly type: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly immutable: boolean;
  readonly resourceVersion: string | undefined;
  /** Registry hosts of the `.dockerconfigjson` auths keys, normalised as the webhook reads them (no scheme, no `/`). */
  readonly authRegistries: readonly string[];
}

export interface Inventory {
  readonly namespaces: readonly NamespaceInfo[];
  readonly secrets: readonly SecretInfo[];
}
