/**
 * deploy/docker/Dockerfile, checked structurally (no Docker engine here): a pinned base, a
 * non-root final user, no secrets, every workspace manifest installed, every file it copies
 * present in the repository, every service it builds compiled, and a .dockerignore that keeps
 * modules, build output, local data and keys out of the build context.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoPath } from '../src/repo.js';

interface Instruction {
  op: string;
  args: string;
  stage: number;
}

/** Instructions of a Dockerfile: comments dropped, `\` continuations joined; stage = index of the FROM. */
function instructions(text: string): Instruction[] {
  const joined = text.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n').replace(/\\\n/g, ' ');
  const out: Instruction[] = [];
  let stage = -1;
  for (const line of joined.split('\n')) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = m[1]!.toUpperCase();
    if (op === 'FROM') stage += 1;
    out.push({ op, args: m[2]!.trim(), stage });
  }
  return out;
}

interface LockEntry {
  dev?: boolean;
  link?: boolean;
  resolved?: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  optionalDependencies?: Record<string, string>;
  os?: string[];
  cpu?: string[];
}

/**
 * Package names the compiled code of a source folder loads at run time: static imports and
 * re-exports, side-effect and dynamic imports; not `import type` (erased), tests, or node:*.
 */
async function runtimeImports(dir: string): Promise<Set<string>> {
  const found = new Set<string>();
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.test.ts') || entry.name.endsWith('.d.ts')) continue;
    const text = await readFile(join(entry.parentPath, entry.name), 'utf8');
    const code = text.replace(/^\s*(import|export)\s+type\s[^;]*;/gm, '');
    for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.') || spec.startsWith('node:')) continue;
      const parts = spec.split('/');
      found.add(spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!);
    }
  }
  return found;
}

async function workspaces(): Promise<string[]> {
  const found: string[] = [];
  for (const root of ['packages', 'services', 'apps']) {
    for (const entry of await readdir(repoPath(root), { withFileTypes: true })) {
      if (entry.isDirectory() && existsSync(repoPath(`${root}/${entry.name}/package.json`))) found.push(`${root}/${entry.name}`);
    }
  }
  return found.sort();
}

const dockerfile = await readFile(repoPath('deploy/docker/Dockerfile'), 'utf8');
const steps = instructions(dockerfile);
const lastStage = Math.max(...steps.map((s) => s.stage));

describe('deploy/docker/Dockerfile', () => {
  it('builds on a pinned Node.js 24 LTS bookworm-slim image, the release the project brings for its tests', () => {
    const arg = steps.find((s) => s.op === 'ARG' && s.args.startsWith('NODE_IMAGE='));
    assert.ok(arg, 'ARG NODE_IMAGE');
    assert.match(arg.args, /^NODE_IMAGE=node:24\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
    // The image runs the release the tests ran on: the root package's `node` devDependency.
    const rootManifest = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    assert.equal(/^NODE_IMAGE=node:([\d.]+)-/.exec(arg.args)?.[1], rootManifest.devDependencies.node);
    const froms = steps.filter((s) => s.op === 'FROM');
    assert.ok(froms.length >= 3, 'multi-stage');
    // Every stage starts from the pinned image, or from an earlier stage of this file.
    const stages = new Set<string>();
    for (const f of froms) {
      const m = /^(\$\{NODE_IMAGE\}|[a-z]+) AS ([a-z]+)$/.exec(f.args);
      assert.ok(m, `FROM ${f.args}`);
      if (m[1] !== '${NODE_IMAGE}') assert.ok(stages.has(m[1] as string), `FROM ${f.args}: no earlier stage named ${m[1]}`);
      stages.add(m[2] as string);
    }
    assert.ok(!/:latest\b/.test(dockerfile));
  });

  it('runs as the numeric non-root user 10001', () => {
    const users = steps.filter((s) => s.op === 'USER');
    const final = users.filter((u) => u.stage === lastStage).at(-1);
    assert.ok(final, 'the runtime stage sets USER');
    assert.match(final.args, /^10001(:10001)?$/);
    assert.match(dockerfile, /useradd --uid 10001/);
  });

  it('carries no secret and no install-time scripts', () => {
    for (const s of steps.filter((x) => x.op === 'ENV' || x.op === 'ARG')) {
      assert.doesNotMatch(s.args, /(KEY|SECRET|TOKEN|PASSWORD|DATABASE_URL)\s*=/i, `${s.op} ${s.args}`);
    }
    assert.doesNotMatch(dockerfile, /BEGIN [A-Z ]*PRIVATE KEY/);
    for (const s of steps.filter((x) => x.op === 'RUN' && x.args.includes('npm ci'))) assert.match(s.args, /--ignore-scripts/);
    const runtime = steps.filter((s) => s.stage === lastStage && s.op === 'RUN');
    for (const r of runtime) assert.doesNotMatch(r.args, /npm (ci|install)/, 'the runtime stage installs nothing');
  });

  it('installs every workspace and compiles every service the manifests run', async () => {
    const copied = new Set(steps.filter((s) => s.op === 'COPY' && !s.args.startsWith('--from')).map((s) => s.args.split(/\s+/)[0]));
    // Each stage that runs `npm ci` has every workspace manifest, copied in it or in the stage it
    // starts from (npm ci fails on a workspace lock with a manifest missing).
    const froms = steps.filter((s) => s.op === 'FROM');
    const stageName = (stage: number) => froms[stage]?.args.split(' AS ')[1];
    const parentOf = (stage: number) => froms.findIndex((f) => f.args.split(' AS ')[1] === froms[stage]?.args.split(' AS ')[0]);
    const installs = [...new Set(steps.filter((s) => s.op === 'RUN' && s.args.includes('npm ci')).map((s) => s.stage))];
    assert.ok(installs.length >= 2, 'a production install and a build install');
    for (const ws of await workspaces()) {
      for (const stage of installs) {
        let found = false;
        for (let at = stage; at !== -1 && !found; at = parentOf(at)) {
          found = steps.some((s) => s.stage === at && s.op === 'COPY' && s.args.startsWith(`${ws}/package.json `));
        }
        assert.ok(found, `stage ${stageName(stage)} does not have ${ws}/package.json (npm ci would fail on the workspace lock)`);
      }
    }
    assert.ok(copied.has('package-lock.json') || dockerfile.includes('COPY package.json package-lock.json'), 'the lock file');
    const build = steps.find((s) => s.op === 'RUN' && s.args.includes('tsc -b'));
    assert.ok(build, 'a tsc -b step');
    for (const service of ['services/auth', 'services/chat-api', 'services/inference', 'services/web', 'apps/cli', 'packages/db', 'packages/observability', 'packages/service-kit']) {
      assert.ok(build.args.split(/\s+/).includes(service), `tsc -b does not build ${service}`);
      assert.ok(existsSync(repoPath(`${service}/tsconfig.json`)), `${service}/tsconfig.json`);
    }
    // Every entry point the image names is compiled from a source file that exists.
    const entries = [...dockerfile.matchAll(/(services\/[a-z-]+|packages\/[a-z-]+|apps\/[a-z-]+)\/dist\/([a-z-]+)\.js/g)];
    assert.ok(entries.length >= 5);
    for (const [, pkg, file] of entries) assert.ok(existsSync(repoPath(`${pkg}/src/${file}.ts`)), `${pkg}/src/${file}.ts (for ${pkg}/dist/${file}.js)`);
    assert.ok(existsSync(repoPath('apps/cli/bin/samosachaat.mjs')));
  });

  it('ships every module the running code imports (production dependency, or copied from the build stage)', async () => {
    const lock = (JSON.parse(await readFile(repoPath('package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }).packages;
    const runtime = steps.filter((s) => s.stage === lastStage && s.op === 'COPY' && s.args.startsWith('--from=build '));
    const copiedModules = new Set(runtime.flatMap((s) => [...s.args.matchAll(/\/app\/node_modules\/(\S+?)\s/g)].map((m) => m[1]!)));
    const shipped = new Set(runtime.flatMap((s) => [...s.args.matchAll(/\/app\/((?:packages|services|apps)\/[a-z-]+)\/dist\s/g)].map((m) => m[1]!)));
    // Node's resolution over the lockfile: a package's own nested node_modules first, then each
    // enclosing one up to the root (node-llama-cpp carries its own chalk 5 while the root's chalk 4
    // is a devDependency).
    const resolveFrom = (from: string, pkg: string): string | undefined => {
      for (let dir = from; ; ) {
        const key = `${dir ? `${dir}/` : ''}node_modules/${pkg}`;
        if (lock[key]) return key;
        if (!dir) return undefined;
        const at = dir.lastIndexOf('/node_modules/');
        dir = at === -1 ? '' : dir.slice(0, at);
      }
    };
    // The root package.json overrides node-llama-cpp's GPU and non-x64 prebuilds with this empty
    // stand-in (README: Local models); the image must carry it for the links to resolve.
    const STAND_IN = 'scripts/npm/omitted-prebuild';
    const covered = (pkg: string) => copiedModules.has(pkg) || copiedModules.has(pkg.split('/')[0]!);
    const problems: string[] = [];
    const seen = new Set<string>();
    const seenNames = new Set<string>();
    const check = (pkg: string, via: string, from: string): void => {
      seenNames.add(pkg);
      const key = resolveFrom(from, pkg);
      if (!key) return void problems.push(`${via} imports ${pkg}, which package-lock.json does not install`);
      if (seen.has(key)) return;
      seen.add(key);
      const entry = lock[key]!;
      if (entry.link) {
        const target = entry.resolved ?? '';
        if (target.endsWith(STAND_IN)) {
          if (!new RegExp(`COPY ${STAND_IN} ${STAND_IN}`).test(dockerfile)) problems.push(`${via} links ${pkg} to ${STAND_IN}, which the image does not copy`);
          return;
        }
        if (!shipped.has(target)) problems.push(`${via} imports ${pkg} (${target}) but the image has no ${target}/dist`);
        return;
      }
      if (entry.dev && !covered(pkg)) problems.push(`${via} imports ${pkg}, a devDependency that npm ci --omit=dev leaves out and the runtime stage does not copy`);
      const optionalPeers = entry.peerDependenciesMeta ?? {};
      // Optional dependencies count when they are the image's platform (esbuild's binary package).
      const platformOptional = Object.keys(entry.optionalDependencies ?? {}).filter((d) => {
        const e = lock[resolveFrom(key, d) ?? ''];
        return e !== undefined && (e.link || ((e.os ?? ['linux']).includes('linux') && (e.cpu ?? [process.arch]).includes(process.arch)));
      });
      for (const dep of [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.peerDependencies ?? {}).filter((d) => !optionalPeers[d]?.optional), ...platformOptional]) check(dep, pkg, key);
    };
    for (const ws of shipped) for (const pkg of await runtimeImports(repoPath(`${ws}/src`))) check(pkg, ws, '');
    // The runtime stage copies the root node_modules only: no workspace may have its own
    // production module (a nested devDependency, e.g. a browser library web bundles at build
    // time, is not installed by npm ci --omit=dev and not needed at run time).
    for (const [key, entry] of Object.entries(lock)) if (/^(apps|packages|services)\/[^/]+\/node_modules\//.test(key) && !entry.dev) problems.push(`${key} is installed inside a workspace; the image would miss it`);
    assert.deepEqual(problems, []);
    assert.ok(shipped.size >= 8, [...shipped].join(', '));
    assert.ok(seenNames.has('fastify') && seenNames.has('esbuild') && seenNames.has('yaml') && seenNames.has('node-llama-cpp'), [...seenNames].join(' '));
  });

  it('copies only paths that exist, from the build context or an earlier stage', () => {
    const stages = new Set(steps.filter((s) => s.op === 'FROM').map((s) => s.args.split(/\s+AS\s+/i)[1]));
    for (const s of steps.filter((x) => x.op === 'COPY')) {
      const parts = s.args.split(/\s+/);
      if (parts[0]!.startsWith('--from=')) {
        assert.ok(stages.has(parts[0]!.slice('--from='.length)), `COPY ${s.args}: unknown stage`);
        continue;
      }
      for (const source of parts.slice(0, -1)) assert.ok(existsSync(repoPath(source)), `COPY ${source}: not in the repository`);
    }
  });
});

describe('.dockerignore', () => {
  it('keeps modules, build output, local data, keys and env files out of the build context', async () => {
    const lines = (await readFile(repoPath('.dockerignore'), 'utf8')).split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const needed of ['**/node_modules', '**/dist', '.data', '**/*.pem', '.env', '.git']) assert.ok(lines.includes(needed), `.dockerignore lacks ${needed}`);
    // …but not what the image needs.
    for (const kept of ['packages', 'services', 'apps', 'package-lock.json', 'tsconfig.base.json']) assert.ok(!lines.includes(kept), `.dockerignore drops ${kept}`);
  });
});
