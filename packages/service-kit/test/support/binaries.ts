import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

/**
 * Finds an external binary a test needs (promtool, prometheus…). On a developer's machine
 * a missing binary skips the test with a loud message; under CI=true it fails the test,
 * because CI installs everything the tests need and a skip there would hide a hole.
 */
export function requireBinary(t: TestContext, name: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = found.status === 0 ? found.stdout.trim() : '';
  if (path) return path;
  const message = `${name} is not installed: install it (Debian: apt-get install prometheus) to run this test`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${message}`);
  console.warn(`\n!!! SKIPPED: ${message}\n`);
  t.skip(message);
  return undefined;
}
