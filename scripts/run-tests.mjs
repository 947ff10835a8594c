#!/usr/bin/env node
// Runs every *.test.ts in the workspace with node:test (TypeScript through tsx),
// under c8 so `npm test` also enforces the coverage gate.
// Usage: node scripts/run-tests.mjs [--unit] [path-filter ...]
//   --unit  the fast tier (`npm run test:unit`): the tests that sit next to the code they test,
//           outside any test/ folder. They start no process, open no server and drive no
//           browser; scripts/unit-guard.mjs makes any that tries fail. Everything in a test/
//           folder (integration and end-to-end) runs only in the full suite.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const roots = ['packages', 'services', 'apps', 'scripts', 'test', 'bench'];
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
const argv = process.argv.slice(2);
const unit = argv.includes('--unit');
const filters = argv.filter((a) => a !== '--unit');
const isUnit = (f) => !f.split(/[\\/]/).slice(0, -1).includes('test');
const pool = unit ? files.filter(isUnit) : files;
const selected = filters.length ? pool.filter((f) => filters.some((x) => f.includes(x))) : pool;
selected.sort();
if (selected.length === 0) {
  console.error(`no test files matched ${filters.join(' ')}`);
  process.exit(1);
}

const guard = unit ? ['--import', join(root, 'scripts/unit-guard.mjs')] : [];
const nodeArgs = ['--conditions=source', '--import', 'tsx', ...guard, '--test', '--test-reporter=spec', ...selected];
const useCoverage = !unit && filters.length === 0 && process.env.TEST_COVERAGE !== '0';
const [cmd, args] = useCoverage
  ? [join(root, 'node_modules/.bin/c8'), ['--config', join(root, '.c8rc.json'), process.execPath, ...nodeArgs]]
  : [process.execPath, nodeArgs];
const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
process.exit(result.status ?? 1);
