/**
 * The Markdown of the streaming benchmark (bench/streams.ts) and how it goes into
 * bench/RESULTS.md: only between `<!-- streams:start -->` and `<!-- streams:end -->`
 * (appended at the end of the file when absent); the rest of the file is left as it is.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { machineLines, table } from './report.js';
import { fitCpu, fitHeap, netCpuUs, type CpuRun } from './streams-cpu.js';
import { fmt, verdict, type TargetKind } from './stats.js';
import type { HoldResult, LatencyResult, Percentiles } from './streams-load.js';

export const START_MARKER = '<!-- streams:start -->';
export const END_MARKER = '<!-- streams:end -->';

export const STREAM_TARGETS = {
  addedP50Ms: { value: 1, kind: 'max' as TargetKind },
  addedP99Ms: { value: 5, kind: 'max' as TargetKind },
  idleKbPerStream: { value: 32, kind: 'max' as TargetKind },
  pausedMbPerStream: { value: 1, kind: 'max' as TargetKind },
  /** chat-api's CPU per forwarded token ÷ the minimal proxy's (fitted b), at 100 and 1000 streams. */
  cpuPerTokenRatio: { value: 1.5, kind: 'max' as TargetKind },
  /** chat-api's V8 bytes allocated per forwarded token ÷ the proxy's. */
  heapPerTokenRatio: { value: 2, kind: 'max' as TargetKind },
  /** chat-api − minimal proxy at 100 streams (ms). */
  overProxyTtftP50Ms: { value: 1, kind: 'max' as TargetKind },
  overProxyTtftP99Ms: { value: 5, kind: 'max' as TargetKind },
  overProxyGapP99Ms: { value: 5, kind: 'max' as TargetKind },
};

/** Step 4 of bench/streams.ts: CPU and allocation per forwarded token. */
export interface CpuReport {
  plan: { levels: Array<{ concurrency: number; rampMs: number; windowMs: number }>; lengths: number[]; idleMs: number };
  /** CPU µs per ms of each process with no stream running (subtracted over each window). */
  idleUsPerMs: Record<string, number>;
  runs: CpuRun[];
  /** chat-api ran under the CPU profiler (its figures include the profiler's cost). */
  profiled: boolean;
}

export interface LevelPlan {
  concurrency: number;
  rampMs: number;
  /** Unmeasured steady running between the ramp and the window (see LatencyCommand). */
  settleMs?: number;
  windowMs: number;
  maxTokens: number;
}

export interface MemoryFigures {
  /** Streams asked for / opened. */
  count: number;
  open: HoldResult;
  /** VmRSS samples of chat-api (KiB) before and while the streams are open. */
  beforeKb: number[];
  withKb: number[];
  /** chat-api gauges read while the streams are open. */
  activeStreams: number;
  bufferedBytes: number;
  /** Whether full collections were forced in chat-api right before each reading. */
  gcForced: boolean;
  /** chat-api's V8 heap used + external memory (bytes) right after those collections, before and with the streams. */
  liveBefore?: number;
  liveWith?: number;
}

export interface StreamsReport {
  quick: boolean;
  startedAt: string;
  finishedAt: string;
  loadAvgStart: number[];
  loadAvgEnd: number[];
  busyStart: string[];
  busyEnd: string[];
  tokensPerSecond: number;
  levels: LevelPlan[];
  /** Run order, as measured. */
  latency: LatencyResult[];
  cpu?: CpuReport;
  idle: MemoryFigures & { tokensPerSecond: number; maxTokens: number };
  paused: MemoryFigures & { maxTokens: number; tokenChars: number; settleMs: number };
  env: Record<string, string>;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Live memory (V8 heap used + external, after forced collections) added per stream, KiB; undefined when not read. */
export function liveKbPerStream(m: MemoryFigures): number | undefined {
  if (m.liveBefore === undefined || m.liveWith === undefined || m.open.opened === 0) return undefined;
  return (m.liveWith - m.liveBefore) / m.open.opened / 1024;
}

/** chat-api RSS added per stream, KiB: median(with) − median(before), over the count actually open. */
export function perStreamKb(m: MemoryFigures): number {
  return (median(m.withKb) - median(m.beforeKb)) / Math.max(1, m.open.opened);
}

const ms = (x: number): string => (Number.isFinite(x) ? fmt(x, 2) : 'n/a');
const signed = (x: number): string => (Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${fmt(Math.abs(x), 2)}` : 'n/a');

function pair(report: StreamsReport, concurrency: number): { chat?: LatencyResult; direct?: LatencyResult; proxy?: LatencyResult } {
  const find = (path: LatencyResult['path']) => report.latency.find((r) => r.path === path && r.concurrency === concurrency);
  return { chat: find('chat'), direct: find('direct'), proxy: find('proxy') };
}

const PATH_LABELS: Record<LatencyResult['path'], string> = { chat: 'chat-api', direct: 'direct', proxy: 'minimal proxy' };

export const FLOOR_HEADERS = ['measurement', 'direct (ms)', 'minimal proxy (ms)', 'chat-api (ms)', 'proxy − direct: the floor (ms)', 'chat-api − proxy: chat-api’s own (ms)'];

/**
 * Per level and percentile: what one more process in the path costs at least (the minimal
 * proxy against direct) and what chat-api adds beyond that floor.
 */
export function floorRows(report: StreamsReport): string[][] {
  const rows: string[][] = [];
  for (const level of report.levels) {
    const { chat, direct, proxy } = pair(report, level.concurrency);
    if (!chat || !direct || !proxy) continue;
    for (const [label, key] of [
      ['TTFT', 'ttft'],
      ['inter-token gap', 'gap'],
    ] as const) {
      for (const p of ['p50', 'p99'] as const) {
        const [d, x, c] = [direct[key][p], proxy[key][p], chat[key][p]];
        rows.push([`${fmt(level.concurrency)} streams: ${label} ${p}`, ms(d), ms(x), ms(c), signed(x - d), signed(c - x)]);
      }
    }
  }
  return rows;
}

/** The verdict rows: latency added by chat-api per level, then the two memory figures. */
export function streamVerdictRows(report: StreamsReport): string[][] {
  const rows: string[][] = [];
  for (const level of report.levels) {
    const { chat, direct } = pair(report, level.concurrency);
    if (!chat || !direct) continue;
    const failed = chat.failures + direct.failures;
    for (const [label, key] of [
      ['TTFT', 'ttft'],
      ['inter-token gap', 'gap'],
    ] as const) {
      for (const p of ['p50', 'p99'] as const) {
        const c: Percentiles = chat[key];
        const d: Percentiles = direct[key];
        const added = c[p] - d[p];
        const target = p === 'p50' ? STREAM_TARGETS.addedP50Ms : STREAM_TARGETS.addedP99Ms;
        const few = p === 'p99' && Math.min(c.n, d.n) < 100 ? ` (n = ${Math.min(c.n, d.n)}: ≈ max)` : '';
        const v = !Number.isFinite(added) ? 'NO DATA' : failed ? 'INCONCLUSIVE' : verdict(added, target.value, target.kind);
        rows.push([`${fmt(level.concurrency)} streams: ${label} ${p}${few}`, ms(c[p]), ms(d[p]), `**${signed(added)}**`, `≤ ${target.value} ms`, `**${v}**`]);
      }
    }
  }
  for (const [label, m, unit, target] of [
    [`idle open streams: chat-api memory per stream (${fmt(report.idle.open.opened)} open)`, report.idle, 'KiB', STREAM_TARGETS.idleKbPerStream],
    [`paused readers: extra chat-api memory per stream (${fmt(report.paused.open.opened)} paused)`, report.paused, 'MiB', STREAM_TARGETS.pausedMbPerStream],
  ] as const) {
    const scale = unit === 'KiB' ? 1 : 1024;
    const digits = unit === 'KiB' ? 1 : 2;
    const rss = perStreamKb(m) / scale;
    const live = liveKbPerStream(m);
    const judged = live === undefined ? rss : Math.max(rss, live / scale);
    const shown = `RSS ${fmt(rss, digits)} ${unit}${live === undefined ? '' : ` · live ${fmt(live / scale, digits)} ${unit}`}`;
    const v = m.open.failures ? 'INCONCLUSIVE' : verdict(judged, target.value, 'max');
    rows.push([label, shown, '—', '—', `≤ ${target.value} ${unit === 'KiB' ? 'KB' : 'MB'} (the larger of the two)`, `**${v}**`]);
  }
  return rows;
}

export const VERDICT_HEADERS = ['measurement', 'chat-api (ms)', 'direct (ms)', 'chat-api − direct (ms)', 'target', 'verdict'];

function latencyRawRows(report: StreamsReport): string[][] {
  return report.latency.map((r, i) => [
    String(i + 1),
    PATH_LABELS[r.path],
    fmt(r.concurrency),
    fmt(r.streams),
    fmt(r.ttft.n),
    `${ms(r.ttft.p50)} / ${ms(r.ttft.p99)}`,
    fmt(r.gap.n),
    `${ms(r.gap.p50)} / ${ms(r.gap.p99)}`,
    fmt(r.tokensPerStream),
    `${fmt(r.failures)}${r.firstFailure ? ` (${r.firstFailure.replace(/\|/g, '/').slice(0, 80)})` : ''}`,
    `${fmt(r.settledMs / 1000, 1)}${r.allWorkersSettled ? '' : ' ⚠ not all'}`,
    fmt(r.wallMs / 1000, 1),
  ]);
}

function memoryRows(label: string, m: MemoryFigures): string[] {
  return [
    label,
    `${fmt(m.open.opened)} / ${fmt(m.count)}${m.open.failures ? ` (${m.open.failures} failed: ${(m.open.firstFailure ?? '').slice(0, 60)})` : ''}`,
    m.beforeKb.map((x) => fmt(x)).join(', '),
    m.withKb.map((x) => fmt(x)).join(', '),
    fmt(median(m.withKb) - median(m.beforeKb)),
    m.liveBefore === undefined || m.liveWith === undefined ? 'n/a' : `${fmt(m.liveBefore / 2 ** 20, 1)} → ${fmt(m.liveWith / 2 ** 20, 1)}`,
    fmt(m.activeStreams),
    fmt(m.bufferedBytes),
  ];
}

/** The CPU model as the kernel names it (`model name` of /proc/cpuinfo), or undefined. */
export function cpuModel(): string | undefined {
  if (!existsSync('/proc/cpuinfo')) return undefined;
  return readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim();
}

const OWN_PROCESS = { chat: 'chat-api', proxy: 'proxy' } as const;

interface PathFit {
  concurrency: number;
  path: 'chat' | 'proxy';
  short: CpuRun;
  long: CpuRun;
}

function pathFits(cpu: CpuReport): PathFit[] {
  const out: PathFit[] = [];
  const [shortLen, longLen] = [Math.min(...cpu.plan.lengths), Math.max(...cpu.plan.lengths)];
  for (const level of cpu.plan.levels) {
    for (const path of ['chat', 'proxy'] as const) {
      const find = (len: number) => cpu.runs.find((r) => r.path === path && r.concurrency === level.concurrency && r.maxTokens === len);
      const short = find(shortLen);
      const long = find(longLen);
      if (short && long) out.push({ concurrency: level.concurrency, path, short, long });
    }
  }
  return out;
}

/** CPU = a · sends + b · tokens of `process` on one path and level (idle rate subtracted). */
export function processFit(cpu: CpuReport, f: PathFit, process: string): { a: number; b: number } {
  const side = (r: CpuRun) => ({ sends: r.cpu.sends, tokens: r.cpu.tokens, cpuUs: netCpuUs(r, process, cpu.idleUsPerMs) });
  return fitCpu(side(f.short), side(f.long));
}

export const CPU_HEADERS = ['streams', 'path', 'process', 'b: CPU µs per token', 'a: CPU µs per send', 'CPU % of a core (short / long run)', 'V8 bytes allocated per token / per send', 'window (short / long run): sends, tokens'];

/** The CPU-per-token table: the path's own process first, then the processes beside it. */
export function cpuRows(cpu: CpuReport): string[][] {
  const rows: string[][] = [];
  for (const f of pathFits(cpu)) {
    const own = OWN_PROCESS[f.path];
    const heap = fitHeap(f.short, f.long);
    const windows = [f.short, f.long].map((r) => `${fmt(r.cpu.sends)}, ${fmt(r.cpu.tokens)}`).join(' / ');
    const beside = f.path === 'chat' ? [own, 'inference', 'database', 'auth', 'load'] : [own, 'inference', 'load'];
    for (const process of beside) {
      const fit = processFit(cpu, f, process);
      const share = [f.short, f.long].map((r) => fmt((netCpuUs(r, process, cpu.idleUsPerMs) / (r.cpu.windowMs * 1000)) * 100, 1)).join(' / ');
      const label = process === own ? `**${process}**` : process === 'load' ? 'load generator' : process === 'database' ? 'database (launcher, PGlite)' : process;
      rows.push([
        fmt(f.concurrency),
        f.path === 'chat' ? 'chat-api' : 'minimal proxy',
        label,
        process === own ? `**${fmt(fit.b, 1)}**` : fmt(fit.b, 1),
        fmt(fit.a, 0),
        share,
        process === own && heap ? `${fmt(heap.b, 0)} / ${fmt(heap.a, 0)}` : '—',
        process === own ? windows : '',
      ]);
    }
  }
  return rows;
}

export const TOKEN_VERDICT_HEADERS = ['measurement', 'chat-api', 'minimal proxy', 'chat-api ÷ proxy, or − proxy', 'target', 'verdict'];

/** The per-token verdicts (same run): CPU and allocation ratios, latency beyond the proxy floor. */
export function tokenVerdictRows(report: StreamsReport): string[][] {
  const rows: string[][] = [];
  const cpu = report.cpu;
  if (cpu) {
    const fits = pathFits(cpu);
    for (const level of cpu.plan.levels) {
      const chat = fits.find((f) => f.path === 'chat' && f.concurrency === level.concurrency);
      const proxy = fits.find((f) => f.path === 'proxy' && f.concurrency === level.concurrency);
      if (!chat || !proxy) continue;
      const failed = [chat.short, chat.long, proxy.short, proxy.long].some((r) => r.failures > 0);
      const cb = processFit(cpu, chat, 'chat-api').b;
      const pb = processFit(cpu, proxy, 'proxy').b;
      const ratio = cb / pb;
      const t = STREAM_TARGETS.cpuPerTokenRatio;
      rows.push([`${fmt(level.concurrency)} streams: CPU per forwarded token (b)`, `${fmt(cb, 1)} µs`, `${fmt(pb, 1)} µs`, `**${fmt(ratio, 2)}×**`, `≤ ${t.value}×`, `**${!Number.isFinite(ratio) ? 'NO DATA' : failed ? 'INCONCLUSIVE' : verdict(ratio, t.value, t.kind)}**`]);
      const ch = fitHeap(chat.short, chat.long);
      const ph = fitHeap(proxy.short, proxy.long);
      const h = STREAM_TARGETS.heapPerTokenRatio;
      if (ch && ph) {
        const hr = ch.b / ph.b;
        rows.push([`${fmt(level.concurrency)} streams: V8 bytes allocated per forwarded token (b)`, `${fmt(ch.b, 0)} B`, `${fmt(ph.b, 0)} B`, `**${fmt(hr, 2)}×**`, `≤ ${h.value}×`, `**${!Number.isFinite(hr) ? 'NO DATA' : failed ? 'INCONCLUSIVE' : verdict(hr, h.value, h.kind)}**`]);
      } else rows.push([`${fmt(level.concurrency)} streams: V8 bytes allocated per forwarded token (b)`, 'n/a', 'n/a', '—', `≤ ${h.value}×`, '**NO DATA**']);
    }
  }
  for (const level of report.levels) {
    const { chat, direct, proxy } = pair(report, level.concurrency);
    if (!chat || !proxy) continue;
    const gated = level.concurrency === 100;
    const failed = chat.failures + proxy.failures > 0;
    for (const [label, key, p, target] of [
      ['TTFT p50', 'ttft', 'p50', STREAM_TARGETS.overProxyTtftP50Ms],
      ['TTFT p99', 'ttft', 'p99', STREAM_TARGETS.overProxyTtftP99Ms],
      ['inter-token gap p99', 'gap', 'p99', STREAM_TARGETS.overProxyGapP99Ms],
    ] as const) {
      const added = chat[key][p] - proxy[key][p];
      const floor = direct ? proxy[key][p] - direct[key][p] : Number.NaN;
      const v = !gated ? `reported (floor: proxy − direct ${signed(floor)} ms)` : !Number.isFinite(added) ? 'NO DATA' : failed ? 'INCONCLUSIVE' : verdict(added, target.value, target.kind);
      rows.push([`${fmt(level.concurrency)} streams: ${label}`, `${ms(chat[key][p])} ms`, `${ms(proxy[key][p])} ms`, `**${signed(added)} ms**`, gated ? `≤ +${target.value} ms` : '— (not gated: the floor moves run to run)', `**${v}**`]);
    }
  }
  return rows;
}

function cpuSection(report: StreamsReport): string {
  const cpu = report.cpu;
  if (!cpu) return '';
  const levels = cpu.plan.levels.map((l) => `${fmt(l.concurrency)} streams (ramp ${fmt(l.rampMs / 1000, 1)} s, window ${fmt(l.windowMs / 1000, 1)} s)`).join(', ');
  const raw = cpu.runs.map((r, i) => [
    String(i + 1),
    r.path === 'chat' ? 'chat-api' : 'minimal proxy',
    fmt(r.concurrency),
    fmt(r.maxTokens),
    fmt(r.cpu.windowMs / 1000, 2),
    fmt(r.cpu.sends),
    fmt(r.cpu.tokens),
    ...(['chat-api', 'proxy', 'inference', 'database', 'auth', 'load'] as const).map((k) => fmt((r.cpu.cpuUs[k] ?? Number.NaN) / 1000, 0)),
    r.heap ? `${fmt(r.heap.allocated / 2 ** 20, 1)} MiB; ${fmt(r.heap.scavenges)} / ${fmt(r.heap.gcs)} GCs, ${fmt(r.heap.gcMs, 0)} ms` : 'n/a',
    fmt(r.failures),
  ]);
  return `
## CPU and allocation per forwarded token (chat-api vs the minimal proxy, same run)

${cpu.profiled ? '**chat-api ran under the CPU profiler in this run: its figures include the profiler’s cost.**\n\n' : ''}${table(CPU_HEADERS, cpuRows(cpu))}

Fit per path, level and process: CPU = a · sends + b · tokens, solved exactly on the two runs (max_tokens ${cpu.plan.lengths.join(' and ')}) of that path and level; **b** is what one more forwarded token costs, **a** what one more send costs (for chat-api: auth from cache, history, the grouped user-message and answer statements, the answer's span and log lines, persistence; see the profile breakdown in Method). CPU % is the process's CPU over the window (idle rate subtracted) as a share of one core. Levels: ${levels}. The "beside" rows (inference, database, auth, load generator) are the same windows' readings of those processes. Idle rates subtracted (µs of CPU per ms, over ${fmt(cpu.plan.idleMs / 1000, 1)} s with no stream): ${Object.entries(cpu.idleUsPerMs).map(([k, v]) => `${k} ${fmt(v, 2)}`).join(', ')}.

### Raw CPU runs (run order; CPU in ms over the window)

${table(['#', 'path', 'streams', 'max_tokens', 'window s', 'sends', 'tokens', 'chat-api', 'proxy', 'inference', 'database', 'auth', 'load gen.', 'path process heap allocated; scavenges / GCs, GC time', 'failures'], raw)}
`;
}

/** The section that goes between the markers (markers included). */
export function renderStreamsSection(report: StreamsReport): string {
  const i = report.idle;
  const p = report.paused;
  const levels = report.levels.map((l) => `${fmt(l.concurrency)} (max_tokens ${l.maxTokens}, ramp ${fmt(l.rampMs / 1000, 1)} s, settle ${fmt((l.settleMs ?? 0) / 1000, 1)} s, window ${fmt(l.windowMs / 1000, 1)} s)`).join('; ');
  const busy = [...new Set([...report.busyStart, ...report.busyEnd])];
  return `${START_MARKER}
# Streaming benchmark: chat-api vs straight from inference${report.quick ? ' (QUICK smoke run — not a measurement)' : ''}

Run ${report.startedAt} → ${report.finishedAt} with \`node --conditions=source --import tsx bench/streams.ts${report.quick ? ' --quick' : ''}\`. Load average ${report.loadAvgStart.map((x) => x.toFixed(2)).join(' / ')} at start, ${report.loadAvgEnd.map((x) => x.toFixed(2)).join(' / ')} at the end.${busy.length ? ` Other busy processes on the machine during the run (the figures share the CPU with them): ${busy.join('; ')}.` : ''}

${machineLines().join('\n')}${cpuModel() ? `\n- CPU model (/proc/cpuinfo): ${cpuModel()}` : ''}

## Verdict: per streamed token, against the minimal proxy (issue 20)

${report.cpu ? table(TOKEN_VERDICT_HEADERS, tokenVerdictRows(report)) : '_The CPU step did not run._'}

CPU per token and bytes per token are the fitted **b** of chat-api and of the minimal proxy in the same run (table below). Latency: chat-api − minimal proxy from step 1 (same run); gated at 100 streams only; at 1 000 streams reported with the floor (proxy − direct) beside.

## Verdict: chat-api against direct (the platform issue's targets)

${table(VERDICT_HEADERS, streamVerdictRows(report))}

"chat-api" is \`POST /api/conversations/:id/messages\` (auth from cache, history from chat-api's history cache, inference asked while the user message is saved (saves and answers of concurrent sends grouped into shared statements) and the cached history confirmed by the conversation version that statement locked, answer forwarded once the save is committed, answer persisted); "direct" is inference's \`POST /generate\` with the internal key, same inference process, the same kind of conversation history as chat-api sends (see Method). INCONCLUSIVE: streams failed in that pair or step (see the raw tables), so the machine or chat-api was past capacity and the figures are not a comparison of the streaming paths. Memory is read right after full garbage collections forced in chat-api (through its inspector), so it is what the streams keep alive, not garbage awaiting a collection.

${cpuSection(report)}
## The floor: one more process in the path

${table(FLOOR_HEADERS, floorRows(report))}

"minimal proxy" (\`bench/lib/streams-proxy.ts\`) is a bare \`node:http\` server that forwards \`POST /generate\` to the same inference with undici (one keep-alive agent, as chat-api) and pipes the answer back with backpressure — no auth, no database, no parsing, no telemetry. "proxy − direct" is what any separate proxy process costs on this machine (two more loopback hops and a process to schedule); "chat-api − proxy" is what chat-api's own work adds beyond it.

## Method

- The whole platform as a newcomer starts it (\`samosachaat start\`: embedded PGlite database served by the launcher, inference, auth, chat-api, each its own process running from source through tsx, default observability: JSON logs to stdout and files, metrics, 100 % sampled traces), on free 127.0.0.1 ports and a temporary DATA_DIR; three such platforms one after the other, one per step (the demo pace is fixed per inference process). Extra environment: ${Object.entries(report.env).map(([k, v]) => `\`${k}=${v}\``).join(', ')}.
- The load generator is a separate Node.js process (\`bench/lib/streams-load.ts\`, undici \`request\`, one keep-alive agent without a connection cap), driven over IPC. Four development-login users (the launcher's own is not used), tokens validated once and then served from chat-api's cache; one conversation per concurrent stream, created through chat-api before the runs; each grows by one exchange per answer, so chat-api sends inference that history (its newest 50 messages). The direct and proxy paths send inference the same shape of prompt: the load generator keeps a conversation per worker slot for them (the prompt and every answer it read) and sends its newest 50 messages, so inference does the same work on every path.
- **1. Latency**, demo engine at ${report.tokensPerSecond} tokens/s, levels ${levels}. Each level: N workers in a closed loop (a worker starts its next stream when its previous one ends), worker starts spread evenly over the ramp, then an unmeasured settle: the window opens once every worker has finished its first stream (so every connection of the path has been accepted and carried an answer), and no sooner than the settle given per level (at least one answer's length), nor later than 60 s after it (⚠ in the raw table); only streams *started* inside the window are counted, so every path is measured at that concurrency with its connections open. Why the settle: a busy Node.js server accepts one connection per event-loop turn (libuv since 1.45 — measured here: inference accepted ~120–200 connections a second while streaming, its listen backlog held up to ~300 waiting connections, 511 max), so the ramp's new connections wait up to seconds on every path; the load generator's own connections are all open before the window, but a proxy opens its upstream connections for the sends of its clients as they come, so without a settle the ramp's backlog spilled into the proxied paths' window (chat-api's p99 at 1 000 streams: 2–7 s without, 0.8 s with a 5 s settle, same code). A fixed settle was not enough on a busier day: \`ss\` showed chat-api's listen queue full (511) for 15 s of a 1 000-stream run, chat-api accepting ~50 connections a second, and the p99 of streams sent while it drained was 5–11 s; hence the window waits for every worker's first answer (the raw table gives the wait). TTFT = request sent → first network chunk holding a \`token\` event; inter-token gap = time between consecutive token events of one stream (events arriving in the same chunk count as 0 ms). p50/p99 are exact nearest-rank percentiles over all counted samples of that run. chat-api, direct and the minimal proxy run back to back at each level, the order rotating between levels (chat-api, direct, proxy at the 1st; direct, proxy, chat-api at the 2nd; proxy, chat-api, direct at the 3rd), with every stream of the previous run drained first (chat-api's \`chat_active_streams\` and inference's \`inference_active_generations\` back at 0). One run per path and level (time budget of the whole benchmark: under 8 minutes); a warm-up of every path precedes the first level.
- **2. Idle open streams**: demo engine at ${i.tokensPerSecond} token/s, \`max_tokens\` ${i.maxTokens}; a warm-up at the measured scale (${fmt(i.count)} streams opened the same way in other conversations, held, released and drained), then chat-api VmRSS (\`/proc/<pid>/status\`) sampled 5× 200 ms apart, then ${fmt(i.count)} streams opened over ${fmt(i.open.openMs / 1000, 1)} s, each read by the client, held until every one had its first token, then 3 s more, and VmRSS sampled again; per stream = (median with − median before) ÷ streams open.
- **3. Paused readers**: inference with \`ENGINE=openai\` against a stand-in OpenAI server (\`bench/lib/streams-upstream.ts\`: ${fmt(p.tokenChars)}-character tokens as fast as they are read, respecting backpressure), \`max_tokens\` ${fmt(p.maxTokens)} (≈ ${fmt((p.maxTokens * (p.tokenChars + 24)) / 2 ** 20, 1)} MiB of SSE per answer); after a warm-up at the measured scale (the same paused streams once in other conversations, released and drained), ${fmt(p.count)} clients send the request, get the headers and never read the body; VmRSS sampled ${fmt(p.settleMs / 1000, 1)} s later (chat-api's \`chat_stream_buffered_bytes\` read at the same time), then the clients disconnect. Per stream = (median with − median before) ÷ streams open; this includes everything chat-api holds for such a stream (its idle cost, the socket's user-space buffer, the answer accumulated so far for persistence).
- **4. CPU and allocation per forwarded token** (on step 1's platform, right after its levels${report.cpu ? `: ${report.cpu.plan.levels.map((l) => `${fmt(l.concurrency)} streams, window ${fmt(l.windowMs / 1000, 1)} s`).join('; ')}; max_tokens ${report.cpu.plan.lengths.join(' and ')}` : ''}): per level and answer length, chat-api and the minimal proxy back to back (the order alternating), each a closed-loop run as in step 1 whose window opens once every worker has finished an answer. At the window's opening and closing the load generator reads the CPU time (user + system, fields 14–15 of \`/proc/<pid>/stat\`, 10 ms ticks) of chat-api, the proxy, inference, auth and the launcher (which serves the embedded PGlite database), and its own (\`process.cpuUsage()\`), and counts the token events it received and the streams it sent in between. Each process's idle rate (read for a few seconds with nothing running) is subtracted. Per path and level, CPU = a · sends + b · tokens is solved exactly on the two lengths: **b** is the CPU one more forwarded token costs, **a** one more send (for chat-api everything per send: auth from cache, history, the grouped statements, span, log lines, persistence). **Allocation**: at the same moments a \`v8.GCProfiler\` is started and stopped in the path's own process over the DevTools protocol (\`Runtime.evaluate\` with \`process.getBuiltinModule('v8')\`; chat-api's inspector as in step 2, the proxy's through its own \`--inspect-port\`); bytes allocated on the V8 heap = Σ over the collections (used before it − used after the previous one) + used at the end − used at the start, fitted the same way (bytes per token, bytes per send). Buffer contents live outside the V8 heap (ArrayBuffer backing stores) and are not counted; the Buffer objects are. Where the CPU goes per send and per token: \`bench:streams -- --cpu-only --cpu-prof DIR\` runs only this step and writes chat-api's CPU profile of each chat window (its figures then include the profiler's cost, so they are not the table's). Both are CPU-time figures: the machine's other load moves them far less than latency, but the 1 000-stream level runs the machine at saturation, so its answers are fewer and slower than asked (see the raw runs).
- Before each VmRSS reading the benchmark forces two full garbage collections in chat-api (SIGUSR1 opens its inspector on a loopback port given by \`--inspect-port\`; then the DevTools protocol's \`HeapProfiler.collectGarbage\`)${i.gcForced && p.gcForced ? '' : ' — **not done in this run** (the inspector did not answer), so these figures include garbage'}; live memory (V8 heap used + external) is read there too. **Why both, and the larger judged:** RSS also moves with pages V8 and the C allocator keep or give back after a collection, whoever allocated them: without the warm-up, V8's old space grown for the first 1 000 streams ever and the allocator's pages kept from the fast answers showed as 36–60 MiB of "per-stream" RSS, and in a paused step RSS has fallen by 30 MiB while 20 streams were held. The warm-up puts that high-water mark in "before"; live memory counts exactly what the held streams keep reachable (but not native memory outside V8: sockets, parsers). The verdict takes the larger of the two per-stream figures, so neither an RSS reading that fell nor an undercount of live memory passes a target alone. Kernel socket buffers are in neither.

## Raw latency runs (run order)

${table(['#', 'path', 'concurrent', 'streams counted', 'TTFT samples', 'TTFT p50 / p99 ms', 'gap samples', 'gap p50 / p99 ms', 'tokens / stream (median)', 'failures', 'ramp end → window s', 'wall s'], latencyRawRows(report))}

## Raw memory samples (chat-api VmRSS in KiB; live = V8 heap used + external after forced collections)

${table(['step', 'streams open / asked', 'VmRSS before', 'VmRSS with the streams', 'VmRSS added (median − median)', 'live MiB before → with', 'chat_active_streams', 'chat_stream_buffered_bytes'], [memoryRows('idle open streams', i), memoryRows('paused readers', p)])}
${END_MARKER}`;
}

/**
 * Replaces the text between the markers of `file` with `section` (markers included), or
 * appends it at the end when the markers are absent. Re-reads the file right before writing,
 * so other sections written meanwhile are kept.
 */
export function spliceSection(file: string, section: string): void {
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(START_MARKER);
  const end = text.indexOf(END_MARKER);
  let next: string;
  if (start !== -1 && end > start) next = text.slice(0, start) + section + text.slice(end + END_MARKER.length);
  else next = `${text}${text.endsWith('\n') ? '' : '\n'}\n${section}\n`;
  writeFileSync(file, next);
}
