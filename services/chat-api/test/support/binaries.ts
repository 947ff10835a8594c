import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

/**
 * Finds an external binary a test needs (promtool). Missing on a developer's machine: the
 * test is skipped with a loud message. Missing under CI=true: the test fails, because CI
 * installs what the tests need and a skip there would hide a hole.
 */
export function requireBinary(t: TestContext, name: string, install: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = found.status === 0 ? found.stdout.trim() : '';
  if (path) return path;
  const message = `${name} is not installed: ${install} to run this test`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${message}`);
  console.warn(`\n!!! SKIPPED: ${message}\n`);
  t.skip(message);
  return undefined;
}
