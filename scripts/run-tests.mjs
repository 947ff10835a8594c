#!/usr/bin/env node
// Runs every *.test.ts in the workspace with node:test (TypeScript through tsx),
// under c8 so `npm test` also enforces the coverage gate.
// Usage: node scripts/run-tests.mjs [path-filter ...]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const roots = ['packages', 'services', 'test', 'bench'];
const skipDirs = new Set(['node_modules', 'dist', 'coverage', '.data']);

function collect(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (skipDirs.has(entry.name)) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) collect(full, out);
    else if (entry.name.endsWith('.test.ts')) out.push(relative(root, full));
  }
}

const files = [];
for (const r of roots) collect(join(root, r), files);
const filters = process.argv.slice(2);
const selected = filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files;
selected.sort();
if (selected.length === 0) {
  console.error(`no test files matched ${filters.join(' ')}`);
  process.exit(1);
}

const nodeArgs = ['--conditions=source', '--import', 'tsx', '--test', '--test-reporter=spec', ...selected];
const useCoverage = filters.length === 0 && process.env.TEST_COVERAGE !== '0';
const [cmd, args] = useCoverage
  ? [join(root, 'node_modules/.bin/c8'), ['--config', join(root, '.c8rc.json'), process.execPath, ...nodeArgs]]
  : [process.execPath, nodeArgs];
const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
process.exit(result.status ?? 1);
