/**
 * The direction of imports between workspaces (docs/development.md, "Structure"): packages
 * never import a service; a service imports another service only through that service's light
 * subpaths (`./config`, `./doctor`), never its app; only apps/ (composition roots) import
 * services whole; observability (telemetry) imports no other workspace. Reads the source
 * files only.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const SERVICES = ['auth', 'chat-api', 'inference', 'web'] as const;
/** The subpaths a service exports for others; each loads a few modules, not the service. */
const LIGHT_SUBPATHS = new Set(['config', 'doctor']);

interface Workspace {
  kind: 'packages' | 'services' | 'apps';
  name: string;
}

/** A workspace's folder, or undefined for files outside one (the root test/, scripts/). */
function workspaceOf(file: string): Workspace | undefined {
  const [kind, name] = relative(root, file).split(sep);
  return (kind === 'packages' || kind === 'services' || kind === 'apps') && name ? { kind, name } : undefined;
}

/** Every module specifier a TypeScript or JavaScript source names: static and dynamic imports, re-exports. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])([^'"\n]+)\1/gm)) found.push(m[2]!);
  return found;
}

/** What one import in `file` reaches: a service, and through which subpath (undefined: the whole service). */
function serviceTarget(file: string, spec: string): { service: string; subpath: string | undefined } | undefined {
  const named = /^@samosachaat\/([a-z-]+)(?:\/(.+))?$/.exec(spec);
  if (named) return (SERVICES as readonly string[]).includes(named[1]!) ? { service: named[1]!, subpath: named[2] } : undefined;
  if (!spec.startsWith('.')) return undefined;
  const target = workspaceOf(resolve(dirname(file), spec));
  // A relative path into a service's folder is never one of its exported subpaths.
  return target?.kind === 'services' ? { service: target.name, subpath: relative(join(root, 'services', target.name), resolve(dirname(file), spec)) } : undefined;
}

/** The import-direction problems of one file's source, as `file: spec (why)` lines. */
function problemsOf(file: string, source: string): string[] {
  const from = workspaceOf(file);
  if (!from || from.kind === 'apps') return [];
  const inTestFolder = relative(root, file).split(sep).includes('test');
  const problems: string[] = [];
  for (const spec of specifiers(source)) {
    const target = serviceTarget(file, spec);
    if (!target) continue;
    if (from.kind === 'services' && target.service === from.name) continue;
    const light = !spec.startsWith('.') && target.subpath !== undefined && LIGHT_SUBPATHS.has(target.subpath);
    // A service's integration test may start another service through that service's test
    // support (a process, as the repository's end-to-end tests do), never load its code.
    const testSupport = from.kind === 'services' && inTestFolder && spec.startsWith('.') && target.subpath?.split(sep).slice(0, 2).join('/') === 'test/support';
    if (testSupport) continue;
    const where = relative(root, file);
    if (from.kind === 'packages' && !inTestFolder) problems.push(`${where}: ${spec} (a package imports a service)`);
    else if (!light) problems.push(`${where}: ${spec} (${from.kind === 'packages' ? 'a package test' : 'a service'} imports another service other than through ./config or ./doctor)`);
  }
  return problems;
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name === 'coverage' || entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(full, out);
    else if (/\.(?:ts|tsx|mts|js|mjs)$/.test(entry.name)) out.push(full);
  }
  return out;
}

function workspaceDirs(kind: Workspace['kind']): string[] {
  return readdirSync(join(root, kind), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => join(root, kind, e.name));
}

describe('import direction between workspaces', () => {
  it('finds the imports it looks for, and the ones it forbids', () => {
    const pkg = join(root, 'packages/platform/src/x.ts');
    const service = join(root, 'services/web/src/x.ts');
    assert.deepEqual(specifiers("import { a } from '@samosachaat/auth';\nexport * from './b.js';\nconst c = await import('@samosachaat/chat-api/config');\nimport 'side-effect';\n"), [
      '@samosachaat/auth',
      './b.js',
      '@samosachaat/chat-api/config',
      'side-effect',
    ]);
    assert.equal(problemsOf(pkg, "import { configFromEnv } from '@samosachaat/auth/config';").length, 1);
    assert.equal(problemsOf(pkg, "import { x } from '../../../services/auth/src/keys.js';").length, 1);
    assert.deepEqual(problemsOf(pkg, "import { x } from '@samosachaat/db';"), []);
    assert.equal(problemsOf(service, "import { buildApp } from '@samosachaat/auth';").length, 1);
    assert.equal(problemsOf(service, "const { x } = await import('@samosachaat/inference/src/app.js');").length, 1);
    assert.equal(problemsOf(service, "import { y } from '../../chat-api/src/config.js';").length, 1);
    assert.deepEqual(problemsOf(service, "import { configFromEnv } from '@samosachaat/auth/config';\nimport * as d from '@samosachaat/auth/doctor';"), []);
    assert.deepEqual(problemsOf(join(root, 'packages/monitoring/test/x.test.ts'), "import { configFromEnv } from '@samosachaat/web/config';"), []);
    assert.deepEqual(problemsOf(join(root, 'apps/cli/src/x.ts'), "import { buildApp } from '@samosachaat/auth';"), []);
    assert.deepEqual(problemsOf(join(root, 'services/chat-api/test/x.test.ts'), "import { startInference } from '../../inference/test/support/service.js';"), []);
    assert.equal(problemsOf(join(root, 'services/chat-api/src/x.ts'), "import { startInference } from '../../inference/test/support/service.js';").length, 1);
    assert.equal(problemsOf(join(root, 'services/chat-api/test/x.test.ts'), "import { buildApp } from '../../inference/src/app.js';").length, 1);
  });

  it('packages import no service, and services import each other only through ./config and ./doctor', () => {
    const files = [...workspaceDirs('packages'), ...workspaceDirs('services')].flatMap((dir) => sourceFiles(dir));
    assert.ok(files.length > 200, `only ${files.length} source files found`);
    const problems = files.flatMap((file) => problemsOf(file, readFileSync(file, 'utf8')));
    assert.deepEqual(problems, []);
  });

  it('observability (telemetry) imports nothing of the service kit, which builds on it', () => {
    const files = sourceFiles(join(root, 'packages/observability/src'));
    const problems = files.flatMap((file) => specifiers(readFileSync(file, 'utf8')).filter((spec) => spec.startsWith('@samosachaat/')).map((spec) => `${relative(root, file)}: ${spec}`));
    assert.deepEqual(problems, []);
    const manifest = JSON.parse(readFileSync(join(root, 'packages/observability/package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    assert.deepEqual(Object.keys(manifest.dependencies ?? {}).filter((d) => d.startsWith('@samosachaat/')), []);
  });

  it('no package depends on a service, and every light subpath a service exports is one of ./config, ./doctor', () => {
    const problems: string[] = [];
    for (const dir of workspaceDirs('packages')) {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; dependencies?: Record<string, string> };
      for (const dep of Object.keys(manifest.dependencies ?? {})) if (SERVICES.some((s) => dep === `@samosachaat/${s}`)) problems.push(`${manifest.name} depends on ${dep}`);
    }
    for (const service of SERVICES) {
      const manifest = JSON.parse(readFileSync(join(root, 'services', service, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
      const subpaths = Object.keys(manifest.exports).filter((k) => k !== '.');
      assert.ok(subpaths.includes('./config'), `${service} exports ./config`);
      for (const subpath of subpaths) if (!LIGHT_SUBPATHS.has(subpath.slice(2))) problems.push(`${service} exports ${subpath}, not a light subpath`);
    }
    assert.deepEqual(problems, []);
  });
});
