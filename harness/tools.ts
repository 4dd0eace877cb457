// Where the test-time tools live: `.tools/bin` (made by `npm run tools`), falling back to PATH.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/harness). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function toolPath(name: string): string {
  const local = join(REPO_ROOT, '.tools', 'bin', name);
  return existsSync(local) ? local : name;
}
