/**
 * The generator CLI (packages/monitoring/src/generate.ts): --check reports stale files and
 * exits 1, --write rewrites exactly those, and two generators may not claim one file. Run
 * against a temporary directory with generators made up for the test; the real registry
 * must be up to date in the repository.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generateAll, generators, runGenerate, type Generator } from '../src/generate.js';
import { repoRoot } from '../src/repo.js';
import { sortKeys, stableJson } from '../src/dashboards/render.js';
import { scaled } from '../../../test/support/timeouts.js';

const made = (name: string, files: Record<string, string>): Generator => ({ name, files: async () => files });

async function tempRoot(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'samosachaat-generate-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  return root;
}

describe('monitoring generator CLI', () => {
  it('--check lists stale and missing files and exits 1; --write fixes them; then --check passes', async (t) => {
    const root = await tempRoot(t);
    await mkdir(join(root, 'deploy/a'), { recursive: true });
    await writeFile(join(root, 'deploy/a/same.txt'), 'same\n');
    await writeFile(join(root, 'deploy/a/stale.txt'), 'old\n');
    const list = [made('one', { 'deploy/a/same.txt': 'same\n', 'deploy/a/stale.txt': 'new\n' }), made('two', { 'deploy/b/c/missing.json': '{}\n' })];
    const lines: string[] = [];
    const log = (line: string) => { lines.push(line); };

    assert.equal(await runGenerate(['--check'], { root, list, log }), 1);
    assert.match(lines.at(-1) ?? '', /2 generated file\(s\) differ.*npm run monitoring:generate/s);
    assert.match(lines.at(-1) ?? '', /deploy\/a\/stale\.txt\n {2}deploy\/b\/c\/missing\.json$/);
    assert.equal(await readFile(join(root, 'deploy/a/stale.txt'), 'utf8'), 'old\n', '--check writes nothing');

    assert.equal(await runGenerate(['--write'], { root, list, log }), 0);
    assert.match(lines.at(-1) ?? '', /wrote 2 of 3 generated files/);
    assert.equal(await readFile(join(root, 'deploy/a/stale.txt'), 'utf8'), 'new\n');
    assert.equal(await readFile(join(root, 'deploy/b/c/missing.json'), 'utf8'), '{}\n');

    assert.equal(await runGenerate([], { root, list, log }), 0, 'the default mode is --check');
    assert.match(lines.at(-1) ?? '', /3 generated files match/);
    assert.equal(await runGenerate(['--write'], { root, list, log }), 0);
    assert.match(lines.at(-1) ?? '', /3 generated files already up to date/);
  });

  it('refuses unknown arguments', async (t) => {
    const root = await tempRoot(t);
    const lines: string[] = [];
    assert.equal(await runGenerate(['--wrte'], { root, list: [], log: (l) => { lines.push(l); } }), 2);
    assert.match(lines[0] ?? '', /unknown argument\(s\): --wrte/);
  });

  it('runs as a script and exits with the CLI\'s code', () => {
    const result = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'packages/monitoring/src/generate.ts', '--wrte'], { cwd: repoRoot, encoding: 'utf8', timeout: scaled(120_000) });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stdout, /unknown argument\(s\): --wrte \(use --write or --check\)/);
  });

  it('refuses two generators that claim the same file', async () => {
    await assert.rejects(generateAll([made('a', { 'deploy/x.yml': '1' }), made('b', { 'deploy/x.yml': '2' })]), /generators a and b both generate deploy\/x\.yml/);
  });

  it('the registered generators are up to date in the repository', async () => {
    assert.ok(generators.some((g) => g.name === 'grafana-dashboards'), 'the dashboards generator is registered');
    const lines: string[] = [];
    const code = await runGenerate(['--check'], { log: (l) => { lines.push(l); } });
    assert.equal(code, 0, lines.join('\n'));
  });
});

describe('stable JSON', () => {
  it('sorts keys at every depth, keeps array order, drops undefined, ends with one newline', () => {
    const text = stableJson({ b: 1, a: { d: [3, { z: 1, y: undefined, x: null }], c: 'x' }, u: undefined });
    assert.equal(text, '{\n  "a": {\n    "c": "x",\n    "d": [\n      3,\n      {\n        "x": null,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}\n');
  });

  it('refuses values JSON cannot hold', () => {
    assert.throws(() => sortKeys({ a: Number.NaN }), /cannot serialise NaN/);
    assert.throws(() => sortKeys([Infinity]), /cannot serialise Infinity/);
  });
});
