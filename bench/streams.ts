/**
 * Streaming benchmark of chat-api (method and figures: bench/RESULTS.md, streams section):
 *
 * 1. time to first token and inter-token gap through chat-api vs straight from inference, at
 *    1, 100 and 1000 concurrent streams (demo engine, fixed pace);
 * 2. chat-api resident memory per idle open stream (1000 streams at 1 token/s);
 * 3. extra chat-api resident memory per client that stopped reading a long, fast answer.
 *
 *   node --conditions=source --import tsx bench/streams.ts           # full run (~5 min), writes the streams section of bench/RESULTS.md
 *   node --conditions=source --import tsx bench/streams.ts --quick   # smoke run (small counts), writes to the temp dir
 *   … --out FILE                                                      # write the section into FILE instead
 *
 * Loopback only; every step is bounded; a watchdog ends the run, and what it started, if
 * anything wedges. Benchmarks measure: no figure here fails the process.
 */
import os from 'node:os';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { busyProcesses, table } from './lib/report.js';
import { startServer, type RunningServer } from './lib/spawn.js';
import type { HoldCommand, HoldResult, LatencyCommand, LatencyResult, Session, SetupCommand, StreamPath, Target } from './lib/streams-load.js';
import { collectGarbage, gauge, sampleRssKb, type LiveMemory, startLoadChild, startStreamsPlatform, waitIdle, type LoadChild, type StreamsPlatform } from './lib/streams-procs.js';
import { freePort } from '../test/support/platform.js';
import { renderStreamsSection, spliceSection, streamVerdictRows, VERDICT_HEADERS, type LevelPlan, type MemoryFigures, type StreamsReport } from './lib/streams-report.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(benchDir, '..');
const quick = process.argv.includes('--quick');
const outArg = process.argv.indexOf('--out');
const outFile = outArg !== -1 && process.argv[outArg + 1] ? resolve(process.argv[outArg + 1] as string) : quick ? join(os.tmpdir(), 'samosachaat-bench-streams-quick.md') : join(benchDir, 'RESULTS.md');
const loadEntry = join(benchDir, 'lib', 'streams-load.ts');

const TOKENS_PER_SECOND = 20;
const PATHS: readonly StreamPath[] = ['chat', 'direct', 'proxy'];
const LEVELS: LevelPlan[] = quick
  ? [
      { concurrency: 1, rampMs: 0, windowMs: 2000, maxTokens: 10 },
      { concurrency: 20, rampMs: 500, windowMs: 2000, maxTokens: 20 },
    ]
  : [
      // One stream gives ~2 first tokens a second: 30 s for 60 samples per path.
      { concurrency: 1, rampMs: 0, windowMs: 30_000, maxTokens: 10 },
      // The window opens once every stream has run one answer (settle ≥ one answer's length):
      // it measures streams at that concurrency, not the ramp's connection storm. (A busy
      // Node.js server accepts one connection per event-loop turn, so the ramp's new
      // connections queue in the listen backlog for up to seconds on any path; a proxy opens
      // its upstream connections one answer later than the load generator does, so without
      // the settle its ramp spills into the window. See Method.)
      { concurrency: 100, rampMs: 2000, settleMs: 2000, windowMs: 10_000, maxTokens: 40 },
      { concurrency: 1000, rampMs: 5000, settleMs: 5000, windowMs: 10_000, maxTokens: 100 },
    ];
const IDLE = { count: quick ? 50 : 1000, rampMs: quick ? 500 : 5000, maxTokens: 40, tokensPerSecond: 1, holdMs: 3000 };
const PAUSED = { count: quick ? 3 : 20, maxTokens: 32_768, tokenChars: 256, settleMs: quick ? 3000 : 8000 };
const USERS = 4;
const CONVERSATIONS = Math.max(...LEVELS.map((l) => l.concurrency), IDLE.count);

/** Shared by every platform: capacity high enough that nothing queues or is refused. */
const BASE_ENV: Record<string, string> = {
  WORKERS: '1024', // inference's maximum (1100 is refused at start)
  QUEUE_LIMIT: '2000',
  MAX_STREAMS_PER_USER: '1000', // chat-api's maximum; 4 users, so ≤ 250 each
  MAX_TOKENS_LIMIT: '32768',
  DEMO_LOAD_MS: '0',
};

const watchdogMs = (quick ? 4 : 10) * 60_000;
setTimeout(() => {
  console.error(`bench:streams: watchdog fired after ${watchdogMs / 1000} s; giving up`);
  process.exit(2); // the exit hooks SIGKILL the launcher, the load generator and the upstream
}, watchdogMs).unref();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (s: string): void => console.log(`bench:streams: ${s}`);

function target(p: StreamsPlatform, proxyUrl?: string): Target {
  return { chatUrl: p.urls.chat, authUrl: p.urls.auth, inferenceUrl: p.urls.inference, internalKey: p.internalKey, proxyUrl };
}

/** The minimal proxy (the floor any proxy process adds) in front of the platform's inference. */
function startProxy(p: StreamsPlatform): Promise<RunningServer> {
  return startServer({
    name: 'proxy',
    args: ['--conditions=source', '--import', 'tsx', join(benchDir, 'lib', 'streams-proxy.ts')],
    env: { ...process.env, NODE_OPTIONS: '', STREAMS_PROXY_UPSTREAM: p.urls.inference },
    cwd: repoRoot,
  });
}

async function drained(p: StreamsPlatform): Promise<void> {
  const ok = await waitIdle(
    [
      { base: p.urls.chat, name: 'chat_active_streams' },
      { base: p.urls.inference, name: 'inference_active_generations' },
    ],
    60_000,
  );
  if (!ok) log('⚠ streams of the previous step still running after 60 s; going on');
}

async function withPlatform<T>(env: Record<string, string>, what: string, fn: (p: StreamsPlatform, load: LoadChild, session: Session) => Promise<T>, conversations: number): Promise<T> {
  const t0 = Date.now();
  const platform = await startStreamsPlatform(repoRoot, { ...BASE_ENV, ...env });
  const load = startLoadChild(repoRoot, loadEntry);
  try {
    log(`${what}: platform ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (chat-api pid ${platform.pids['chat-api']})`);
    const session = await load.call<Session>('setup', { ...target(platform), users: USERS, conversations } satisfies SetupCommand, 120_000);
    return await fn(platform, load, session);
  } catch (err) {
    console.error(`bench:streams: ${what} failed; the launcher's last output:\n${platform.tail()}`);
    throw err;
  } finally {
    await load.stop();
    await platform.stop();
  }
}

async function runLatency(p: StreamsPlatform, load: LoadChild, session: Session, path: StreamPath, level: LevelPlan, proxyUrl?: string): Promise<LatencyResult> {
  const cmd: LatencyCommand = { ...target(p, proxyUrl), ...session, path, ...level };
  const budget = level.rampMs + (level.settleMs ?? 0) + level.windowMs + 120_000;
  const r = await load.call<LatencyResult>('latency', cmd, budget);
  await drained(p);
  return r;
}

function printLatency(r: LatencyResult): void {
  log(
    `  ${r.path.padEnd(6)} ×${String(r.concurrency).padStart(4)}: ${r.streams} streams, TTFT p50 ${r.ttft.p50.toFixed(2)} p99 ${r.ttft.p99.toFixed(2)} ms, gap p50 ${r.gap.p50.toFixed(2)} p99 ${r.gap.p99.toFixed(2)} ms (${r.gap.n} gaps)${r.failures ? `, ${r.failures} failures (${r.firstFailure})` : ''}`,
  );
}

async function latencyStep(): Promise<LatencyResult[]> {
  return withPlatform(
    { DEMO_TOKENS_PER_SECOND: String(TOKENS_PER_SECOND) },
    `1. latency (${TOKENS_PER_SECOND} tokens/s)`,
    async (p, load, session) => {
      const proxy = await startProxy(p);
      const proxyUrl = `http://127.0.0.1:${proxy.port}`;
      try {
        const warm: LevelPlan = { concurrency: 10, rampMs: 200, windowMs: quick ? 500 : 2000, maxTokens: 10 };
        for (const path of PATHS) await runLatency(p, load, session, path, warm, proxyUrl);
        const results: LatencyResult[] = [];
        for (const [index, level] of LEVELS.entries()) {
          // The order rotates between levels, so no path always runs first or last.
          const order = PATHS.map((_, k) => PATHS[(k + index) % PATHS.length] as StreamPath);
          for (const path of order) {
            const r = await runLatency(p, load, session, path, level, proxyUrl);
            printLatency(r);
            results.push(r);
          }
        }
        return results;
      } finally {
        await proxy.stop();
      }
    },
    CONVERSATIONS,
  );
}

/** Platform environment for a memory step: chat-api's inspector port, for {@link collectGarbage}. */
async function inspectable(env: Record<string, string>): Promise<{ env: Record<string, string>; port: number }> {
  const port = await freePort();
  // Every service gets the option; only a SIGUSR1 opens an inspector, and only chat-api gets one.
  return { env: { ...env, NODE_OPTIONS: `--inspect-port=127.0.0.1:${port}` }, port };
}

async function memoryStep(
  p: StreamsPlatform,
  load: LoadChild,
  session: Session,
  hold: Omit<HoldCommand, keyof Target | keyof Session | 'path'>,
  settleMs: number,
  inspectPort: number,
): Promise<Omit<MemoryFigures, 'count'>> {
  const pid = p.pids['chat-api'] as number;
  const collect = async (): Promise<LiveMemory | undefined> => {
    const live = await collectGarbage(pid, inspectPort).catch((err: unknown) => {
      log(`⚠ could not force a garbage collection in chat-api: ${(err as Error).message}`);
      return undefined;
    });
    if (!live) log('⚠ chat-api memory read without a forced garbage collection');
    return live;
  };
  // The session holds 2 × count conversations: the measured streams use the first half.
  const measured = session.conversations.slice(0, hold.count);
  const spare = session.conversations.slice(hold.count, 2 * hold.count);
  const command = { ...target(p), ...session, conversations: measured, path: 'chat', ...hold } satisfies HoldCommand;
  // Warm-up at the measured scale: as many streams opened, held and released once (in other
  // conversations, so the measured ones start with the same history), so the memory a process
  // keeps after serving this many (V8's grown old space, the allocator's freed-but-kept pages,
  // pools) is in "before" and the figure is what holding them costs.
  await load.call<HoldResult>('hold:open', { ...command, conversations: spare }, hold.rampMs + 120_000);
  await sleep(settleMs);
  await load.call<number>('hold:release', {}, 30_000);
  await drained(p);
  const liveBefore = await collect();
  const beforeKb = await sampleRssKb(pid);
  const open = await load.call<HoldResult>('hold:open', command, hold.rampMs + 120_000);
  await sleep(settleMs);
  const liveWith = await collect();
  const withKb = await sampleRssKb(pid);
  const activeStreams = await gauge(p.urls.chat, 'chat_active_streams');
  const bufferedBytes = await gauge(p.urls.chat, 'chat_stream_buffered_bytes');
  await load.call<number>('hold:release', {}, 30_000);
  const live = (m: LiveMemory | undefined) => (m ? m.heapUsed + m.external : undefined);
  return { open, beforeKb, withKb, activeStreams, bufferedBytes, gcForced: !!liveBefore && !!liveWith, liveBefore: live(liveBefore), liveWith: live(liveWith) };
}

async function idleStep(): Promise<StreamsReport['idle']> {
  const { env, port } = await inspectable({ DEMO_TOKENS_PER_SECOND: String(IDLE.tokensPerSecond) });
  return withPlatform(
    env,
    `2. idle open streams (${IDLE.tokensPerSecond} token/s)`,
    async (p, load, session) => {
      const m = await memoryStep(p, load, session, { count: IDLE.count, rampMs: IDLE.rampMs, maxTokens: IDLE.maxTokens, paused: false, waitFirstToken: true }, IDLE.holdMs, port);
      log(`  ${m.open.opened} open: chat-api RSS ${m.beforeKb.join(',')} → ${m.withKb.join(',')} KiB (chat_active_streams ${m.activeStreams})`);
      return { ...m, count: IDLE.count, tokensPerSecond: IDLE.tokensPerSecond, maxTokens: IDLE.maxTokens };
    },
    2 * IDLE.count,
  );
}

async function pausedStep(): Promise<StreamsReport['paused']> {
  let upstream: RunningServer | undefined;
  try {
    upstream = await startServer({
      name: 'upstream',
      args: ['--conditions=source', '--import', 'tsx', join(benchDir, 'lib', 'streams-upstream.ts')],
      env: { ...process.env, NODE_OPTIONS: '', STREAMS_UPSTREAM_TOKEN_CHARS: String(PAUSED.tokenChars) },
      cwd: repoRoot,
    });
    const { env, port } = await inspectable({ ENGINE: 'openai', OPENAI_BASE_URL: `http://127.0.0.1:${upstream.port}/v1`, OPENAI_MODEL: 'flood' });
    return await withPlatform(
      env,
      '3. paused readers (fast upstream)',
      async (p, load, session) => {
        // Warm-up: whole long answers read to the end, so every path is compiled.
        await runLatency(p, load, { ...session, conversations: session.conversations.slice(2 * PAUSED.count) }, 'chat', { concurrency: 2, rampMs: 0, windowMs: 1000, maxTokens: 2000 });
        const m = await memoryStep(p, load, session, { count: PAUSED.count, rampMs: 200, maxTokens: PAUSED.maxTokens, paused: true, waitFirstToken: false }, PAUSED.settleMs, port);
        log(`  ${m.open.opened} paused: chat-api RSS ${m.beforeKb.join(',')} → ${m.withKb.join(',')} KiB (buffered ${m.bufferedBytes} B)`);
        return { ...m, count: PAUSED.count, maxTokens: PAUSED.maxTokens, tokenChars: PAUSED.tokenChars, settleMs: PAUSED.settleMs };
      },
      2 * PAUSED.count + 2,
    );
  } finally {
    await upstream?.stop();
  }
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const loadAvgStart = os.loadavg();
  const busyStart = busyProcesses();
  if (busyStart.length) log(`note — other busy processes: ${busyStart.join('; ')}`);
  log(`${quick ? 'QUICK smoke run' : 'full run'}: levels ${LEVELS.map((l) => l.concurrency).join(', ')}; ${IDLE.count} idle streams; ${PAUSED.count} paused readers`);

  const latency = await latencyStep();
  const idle = await idleStep();
  const paused = await pausedStep();

  const report: StreamsReport = {
    quick,
    startedAt,
    finishedAt: new Date().toISOString(),
    loadAvgStart,
    loadAvgEnd: os.loadavg(),
    busyStart,
    busyEnd: busyProcesses(),
    tokensPerSecond: TOKENS_PER_SECOND,
    levels: LEVELS,
    latency,
    idle,
    paused,
    env: BASE_ENV,
  };
  console.log(`\n${table(VERDICT_HEADERS, streamVerdictRows(report))}\n`);
  const section = renderStreamsSection(report);
  if (existsSync(outFile) && !quick) spliceSection(outFile, section);
  else if (existsSync(outFile) && outArg !== -1) spliceSection(outFile, section);
  else writeFileSync(outFile, `${section}\n`);
  log(`report written to ${outFile}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('bench:streams: failed:', err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
