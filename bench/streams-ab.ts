/**
 * Old-versus-new streaming benchmark: runs `bench:streams` of two checkouts alternately
 * (old, new, old, new, …) in one sitting and tabulates the latency and memory figures of
 * every run side by side, so a change to chat-api's answer path is judged against the spread
 * of the old code's own runs on the same machine, the same day (bench/RESULTS.md, streams
 * A/B section).
 *
 *   node --conditions=source --import tsx bench/streams-ab.ts --old ../old-checkout [--new .] [--rounds 3] [--out FILE]
 *   … --from DIR   tabulate the reports an earlier sitting left in DIR ({old,new}-N.md) without running
 *
 * Each checkout runs its own bench/streams.ts with its own dependencies (`npm ci` in the old
 * checkout first, e.g. a `git worktree add --detach ../old <commit>`), without step 4 (CPU per
 * token, `--no-cpu`; older checkouts have no such step and ignore the flag), so both arms do
 * the same work. Loopback only; each run is bounded by bench:streams' own watchdog.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const value = i !== -1 ? process.argv[i + 1] : fallback;
  if (value === undefined) throw new Error(`bench:streams-ab: --${name} is required`);
  return value;
}

const oldDir = resolve(arg('old'));
const newDir = resolve(arg('new', '.'));
const rounds = Number(arg('rounds', '3'));
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10) throw new Error(`bench:streams-ab: --rounds must be 1-10, got ${arg('rounds', '3')}`);
const outFile = resolve(arg('out', join(os.tmpdir(), 'samosachaat-streams-ab.md')));
const work = mkdtempSync(join(os.tmpdir(), 'streams-ab-'));

const commitOf = (dir: string): string => spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir, encoding: 'utf8' }).stdout.trim();
const arms = [
  { name: 'old', dir: oldDir, commit: commitOf(oldDir) },
  { name: 'new', dir: newDir, commit: commitOf(newDir) },
] as const;

interface Run {
  arm: 'old' | 'new';
  round: number;
  file: string;
  load: string;
  /** Why the run gave no report (bench:streams' exit status), if it did not. */
  failed?: string;
}
const runs: Run[] = [];
const started = new Date().toISOString();
const fromIndex = process.argv.indexOf('--from');
const fromDir = fromIndex !== -1 ? process.argv[fromIndex + 1] : undefined;
if (fromDir) {
  // Only the table, from the reports of a sitting that was cut short (each run's own file).
  for (let round = 1; round <= rounds; round++) {
    for (const arm of arms) {
      const file = join(resolve(fromDir), `${arm.name}-${round}.md`);
      if (existsSync(file)) runs.push({ arm: arm.name, round, file, load: /Load average ([\d.]+ \/ [\d.]+ \/ [\d.]+) at start/.exec(readFileSync(file, 'utf8'))?.[1] ?? '?' });
    }
  }
}
for (let round = 1; !fromDir && round <= rounds; round++) {
  for (const arm of arms) {
    const file = join(work, `${arm.name}-${round}.md`);
    const load = os.loadavg().map((l) => l.toFixed(2)).join(' / ');
    console.log(`bench:streams-ab: round ${round}, ${arm.name} (${arm.commit}), load ${load}`);
    const r = spawnSync('npm', ['run', '--silent', 'bench:streams', '--', '--no-cpu', '--out', file], { cwd: arm.dir, stdio: ['ignore', 'inherit', 'inherit'], timeout: 12 * 60_000 });
    // A run that fails (e.g. its watchdog fired on an overloaded machine) is shown as such;
    // the alternation goes on, so the other runs of the sitting still compare.
    const failed = r.status === 0 ? undefined : `bench:streams exited ${r.status ?? r.signal}`;
    if (failed) console.error(`bench:streams-ab: ${arm.name} round ${round}: ${failed}`);
    runs.push({ arm: arm.name, round, file, load, ...(failed ? { failed } : {}) });
  }
}

/** Rows of the "Raw latency runs" table, keyed by "path@concurrency". */
function latencyRows(md: string): Map<string, { ttft: string; gap: string; failures: string }> {
  const out = new Map<string, { ttft: string; gap: string; failures: string }>();
  const section = md.slice(md.indexOf('## Raw latency runs'));
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 12 || !/^\d+$/.test(cells[1] ?? '')) continue;
    out.set(`${cells[2]}@${cells[3]}`, { ttft: cells[6] ?? '', gap: cells[8] ?? '', failures: cells[10] ?? '' });
  }
  return out;
}

/** The memory verdict rows ("idle open streams" and "paused readers"): the chat-api cell. */
function memoryRows(md: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of md.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells[1]?.startsWith('idle open streams:')) out.set('idle', `${cells[2]} (${cells[6]})`);
    if (cells[1]?.startsWith('paused readers:')) out.set('paused', `${cells[2]} (${cells[6]})`);
  }
  return out;
}

const parsed = runs.map((r) => ({ ...r, md: r.failed ? '' : readFileSync(r.file, 'utf8') }));
const keys = ['chat-api@1', 'chat-api@100', 'minimal proxy@100', 'direct@100', 'chat-api@1 000'];
const lines: string[] = [];
lines.push('## Old versus new, alternated in one sitting');
lines.push('');
lines.push(`${fromDir ? `Rebuilt ${started} from the reports in ${resolve(fromDir)} (each report gives its own run time); ` : `Runs ${started} → ${new Date().toISOString()} with `} \`node --conditions=source --import tsx bench/streams-ab.ts --old <old checkout> --rounds ${rounds}\`: each checkout's own \`bench:streams\`, alternately. Old = ${arms[0].commit}, new = ${arms[1].commit}. CPU: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} logical cores; Node.js from each checkout's \`node\` devDependency.`);
lines.push('');
lines.push('| run | load at start | ' + keys.map((k) => `${k}: TTFT p50 / p99 ms`).join(' | ') + ' | chat-api@100: gap p50 / p99 ms | idle stream memory | paused reader memory |');
lines.push('| --- | --- | ' + keys.map(() => '---').join(' | ') + ' | --- | --- | --- |');
for (const r of parsed) {
  if (r.failed) {
    lines.push(`| ${r.arm} ${r.round} | ${r.load} | ${r.failed}: no figures | ${keys.slice(1).map(() => '—').join(' | ')} | — | — | — |`);
    continue;
  }
  const lat = latencyRows(r.md);
  const mem = memoryRows(r.md);
  const cells = keys.map((k) => {
    const row = lat.get(k);
    return row ? `${row.ttft}${row.failures !== '0' ? ` (${row.failures} failed)` : ''}` : '—';
  });
  lines.push(`| ${r.arm} ${r.round} | ${r.load} | ${cells.join(' | ')} | ${lat.get('chat-api@100')?.gap ?? '—'} | ${mem.get('idle') ?? '—'} | ${mem.get('paused') ?? '—'} |`);
}
lines.push('');
lines.push(`Every run's full report: ${fromDir ? resolve(fromDir) : work}/{old,new}-N.md (not kept).`);
writeFileSync(outFile, lines.join('\n') + '\n');
console.log(lines.join('\n'));
console.log(`bench:streams-ab: written to ${outFile}`);
