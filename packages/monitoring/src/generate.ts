/**
 * The monitoring generator CLI: every generated configuration file under deploy/ (Grafana
 * dashboards, Prometheus/Alertmanager configuration, Kubernetes manifests…) comes from a
 * registered generator, so the committed files are never edited by hand.
 *
 *   npm run monitoring:generate            # --write: (re)writes every generated file
 *   node … packages/monitoring/src/generate.ts --check   # exits 1 listing files that differ
 *
 * To add a generator, append it to `generators` below (one import + one array entry).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from './repo.js';
import { grafanaDashboardsGenerator } from './dashboards/generator.js';
import { prometheusConfigGenerator } from './prometheus-config.js';
import { alertmanagerConfigGenerator } from './alertmanager-config.js';
import { kubernetesGenerator } from './kubernetes.js';
import { alloyConfigGenerator } from './alloy-config.js';
import { sloRulesGenerator } from './slo.js';

/** Something that produces generated files: repo-relative path → full file content. */
export interface Generator {
  /** Short name shown in the CLI output (e.g. `grafana-dashboards`). */
  name: string;
  /** The files this generator owns, keyed by repo-relative path with forward slashes. */
  files(): Promise<Record<string, string>>;
}

/** Every registered generator. Helpers append their own entry here. */
export const generators: Generator[] = [
  sloRulesGenerator,
  grafanaDashboardsGenerator,
  prometheusConfigGenerator,
  alertmanagerConfigGenerator,
  kubernetesGenerator,
  alloyConfigGenerator,
];

/** Runs generators and merges their output; two generators claiming one path is a bug. */
export async function generateAll(list: readonly Generator[] = generators): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const owner = new Map<string, string>();
  for (const generator of list) {
    const files = await generator.files();
    for (const [path, content] of Object.entries(files)) {
      const previous = owner.get(path);
      if (previous !== undefined) throw new Error(`generators ${previous} and ${generator.name} both generate ${path}`);
      owner.set(path, generator.name);
      out.set(path, content);
    }
  }
  return out;
}

/** Repo-relative paths whose committed content (under `root`) differs from `files` or is missing. */
export async function staleFiles(files: Map<string, string>, root: string = repoRoot): Promise<string[]> {
  const stale: string[] = [];
  for (const [path, content] of files) {
    const current = await readFile(join(root, path), 'utf8').catch(() => undefined);
    if (current !== content) stale.push(path);
  }
  return stale.sort();
}

/** Writes `files` under `root`, creating directories; returns the paths whose content changed. */
export async function writeFiles(files: Map<string, string>, root: string = repoRoot): Promise<string[]> {
  const changed = await staleFiles(files, root);
  for (const path of changed) {
    const target = join(root, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, files.get(path) ?? '');
  }
  return changed;
}

/**
 * The CLI: `--write` rewrites stale files, `--check` (the default) reports them.
 * Returns the process exit code so tests can drive it without spawning.
 */
export async function runGenerate(
  argv: readonly string[],
  options: { root?: string; list?: readonly Generator[]; log?: (line: string) => void } = {},
): Promise<number> {
  const root = options.root ?? repoRoot;
  const log = options.log ?? ((line: string) => console.log(line));
  const unknown = argv.filter((arg) => arg !== '--write' && arg !== '--check');
  if (unknown.length > 0) {
    log(`unknown argument(s): ${unknown.join(' ')} (use --write or --check)`);
    return 2;
  }
  const files = await generateAll(options.list ?? generators);
  if (argv.includes('--write')) {
    const changed = await writeFiles(files, root);
    log(changed.length === 0 ? `${files.size} generated files already up to date` : `wrote ${changed.length} of ${files.size} generated files:\n  ${changed.join('\n  ')}`);
    return 0;
  }
  const stale = await staleFiles(files, root);
  if (stale.length === 0) {
    log(`${files.size} generated files match`);
    return 0;
  }
  log(`${stale.length} generated file(s) differ from the committed ones: run \`npm run monitoring:generate\`\n  ${stale.join('\n  ')}`);
  return 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await runGenerate(process.argv.slice(2));
}
