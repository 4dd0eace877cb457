// What a finder reports for each Secret a peer manages: the Secret, and the registries the peer's own data names
// for it (or why none could be derived).

import type { SecretInfo } from './inventory.js';

export interface FoundSecret {
  readonly secret: SecretInfo;
  /** ECR registry hosts, validated; empty when `registryProblem` says why none could be derived. */
  readonly registries: readonly string[];
  readonly registryProblem?: string;
}
