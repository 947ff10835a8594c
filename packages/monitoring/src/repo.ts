import { fileURLToPath } from 'node:url';

/**
 * Absolute path of the repository root (where `deploy/`, `docs/` and the root package.json
 * live), resolved from this module's location so it works from any working directory.
 */
export const repoRoot: string = fileURLToPath(new URL('../../../', import.meta.url));

/** Absolute path of a repository-relative path (forward slashes, as the generators use). */
export function repoPath(relativePath: string): string {
  return fileURLToPath(new URL(relativePath, new URL('../../../', import.meta.url)));
}
