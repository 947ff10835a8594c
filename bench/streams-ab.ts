/**
 * Old-versus-new streaming benchmark: runs `bench:streams` of two checkouts alternately
 * (old, new, old, new, …) in one sitting and tabulates the latency and memory figures of
 * every run side by side, so a change to chat-api's answer path is judged against the spread
 * of the old code's own runs on the same machine, the same day (bench/RESULTS.md, streams
 * A/B section).
 *
 *   node --conditions=source --import tsx bench/streams-ab.ts --old ../old-checkout [--new .] [--rounds 3] [--out FILE]
 *   … --from DIR   tabulate the reports an earlier sitting left in DIR ({old,new}-N.md) without running
 *   … --latency-only   each run is `bench:streams --latency-only` (step 1 at 1 and 100 streams, ~3 min),
 *                      its printed figures tabulated: twice the rounds in the time of a full sitting
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
const latencyOnly = process.argv.includes('--latency-only');
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
if (latencyOnly) {
  latencySitting();
  process.exit(0);
}
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

/**
 * `--latency-only`: every run is `bench:streams --latency-only` (1 and 100 streams, nothing
 * written), its printed latency lines parsed; the table gives each run's TTFT and gaps and
 * chat-api's excess over the minimal proxy and over direct in the same run.
 */
function latencySitting(): void {
  interface Figures {
    ttft50: number;
    ttft99: number;
    gap50: number;
    gap99: number;
  }
  const rows: { arm: string; round: number; load: string; figures: Map<string, Figures>; failed?: string }[] = [];
  const pattern = /^bench:streams:\s+(chat|direct|proxy)\s+×\s*(\d+): .*TTFT p50 ([\d.]+) p99 ([\d.]+) ms, gap p50 ([\d.]+) p99 ([\d.]+) ms/;
  for (let round = 1; round <= rounds; round++) {
    for (const arm of arms) {
      const load = os.loadavg().map((l) => l.toFixed(2)).join(' / ');
      console.log(`bench:streams-ab: round ${round}, ${arm.name} (${arm.commit}), load ${load}`);
      const r = spawnSync('npm', ['run', '--silent', 'bench:streams', '--', '--latency-only'], { cwd: arm.dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 12 * 60_000 });
      process.stdout.write(r.stdout ?? '');
      const figures = new Map<string, Figures>();
      for (const line of (r.stdout ?? '').split('\n')) {
        const m = pattern.exec(line);
        if (m) figures.set(`${m[1]}@${m[2]}`, { ttft50: Number(m[3]), ttft99: Number(m[4]), gap50: Number(m[5]), gap99: Number(m[6]) });
      }
      const failed = r.status === 0 ? undefined : `bench:streams exited ${r.status ?? r.signal}`;
      rows.push({ arm: arm.name, round, load, figures, ...(failed ? { failed } : {}) });
    }
  }
  const f = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '—' : x.toFixed(2));
  const pair = (x: Figures | undefined, a: 'ttft' | 'gap') => (x ? `${f(a === 'ttft' ? x.ttft50 : x.gap50)} / ${f(a === 'ttft' ? x.ttft99 : x.gap99)}` : '—');
  const lines = [
    '## Old versus new, alternated in one sitting (latency only)',
    '',
    `Runs ${started} → ${new Date().toISOString()} with \`node --conditions=source --import tsx bench/streams-ab.ts --old <old checkout> --rounds ${rounds} --latency-only\`: each checkout's own \`bench:streams --latency-only\`, alternately. Old = ${arms[0].commit}, new = ${arms[1].commit}. CPU: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} logical cores.`,
    '',
    '| run | load at start | chat-api@1: TTFT p50 / p99 ms | direct@1: TTFT p50 / p99 ms | chat-api@100: TTFT p50 / p99 ms | minimal proxy@100: TTFT p50 / p99 ms | direct@100: TTFT p50 / p99 ms | chat-api@100: gap p50 / p99 ms | chat-api − direct @1, TTFT p50 | chat-api − proxy @100, TTFT p50 / p99 |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const g = (k: string) => r.figures.get(k);
    const c1 = g('chat@1');
    const d1 = g('direct@1');
    const c100 = g('chat@100');
    const p100 = g('proxy@100');
    const excess1 = c1 && d1 ? f(c1.ttft50 - d1.ttft50) : '—';
    const excess100 = c100 && p100 ? `${f(c100.ttft50 - p100.ttft50)} / ${f(c100.ttft99 - p100.ttft99)}` : '—';
    lines.push(`| ${r.arm} ${r.round}${r.failed ? ` (${r.failed})` : ''} | ${r.load} | ${pair(c1, 'ttft')} | ${pair(d1, 'ttft')} | ${pair(c100, 'ttft')} | ${pair(p100, 'ttft')} | ${pair(g('direct@100'), 'ttft')} | ${pair(c100, 'gap')} | ${excess1} | ${excess100} |`);
  }
  lines.push('');
  writeFileSync(outFile, `${lines.join('\n')}\n`);
  console.log(`\n${lines.join('\n')}\nbench:streams-ab: written to ${outFile}`);
}
