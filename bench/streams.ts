/**
 * Streaming benchmark of chat-api (method and figures: bench/RESULTS.md, streams section):
 *
 * 1. time to first token and inter-token gap through chat-api vs straight from inference, at
 *    1, 100 and 1000 concurrent streams (demo engine, fixed pace);
 * 2. chat-api resident memory per idle open stream (1000 streams at 1 token/s);
 * 3. extra chat-api resident memory per client that stopped reading a long, fast answer;
 * 4. (on step 1's platform) CPU time and V8 allocation per forwarded token and per send, chat-api
 *    vs the minimal proxy, at 100 and 1000 streams (two answer lengths, CPU = a + b · tokens).
 *
 *   node --conditions=source --import tsx bench/streams.ts           # full run (~7 min), writes the streams section of bench/RESULTS.md
 *   node --conditions=source --import tsx bench/streams.ts --quick   # smoke run (small counts), writes to the temp dir
 *   … --out FILE                                                      # write the section into FILE instead
 *   … --no-cpu                                                        # without step 4 (CPU per token), as bench:streams-ab runs it
 *   … --cpu-only [--cpu-prof DIR]                                     # only step 4 (prints its table, writes nothing); with
 *                                                                     # --cpu-prof, chat-api's and the launcher's CPU profiles of each chat window
 *                                                                     # into DIR (the profiler's cost is in those CPU figures)
 *   … --idle-only [--heap-snapshot DIR]                               # only step 2 (prints, writes nothing); with --heap-snapshot,
 *                                                                     # chat-api's heap before and with the streams into DIR and
 *                                                                     # the kinds of object an open stream adds (RSS then moot)
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
import { HeapProbe, InspectorSession, procCpuUs, type CpuRun, type HeapWindow } from './lib/streams-cpu.js';
import { summariseProfile, type CpuProfile } from './lib/profile.js';
import { collectGarbage, gauge, sampleRssKb, type LiveMemory, startLoadChild, startStreamsPlatform, waitIdle, type LoadChild, type StreamsPlatform } from './lib/streams-procs.js';
import { freePort } from '../test/support/platform.js';
import { cpuRows, CPU_HEADERS, liveKbPerStream, perStreamKb, renderStreamsSection, spliceSection, streamVerdictRows, VERDICT_HEADERS, type CpuReport, type LevelPlan, type MemoryFigures, type StreamsReport } from './lib/streams-report.js';
import { mkdirSync } from 'node:fs';
import { heapGrowth, summariseSnapshot, takeHeapSnapshot } from './lib/heap-snapshot.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(benchDir, '..');
const quick = process.argv.includes('--quick');
const cpuOnly = process.argv.includes('--cpu-only');
// Without step 4: what bench:streams-ab runs, so old checkouts (which have no step 4) and new
// ones do the same work in a sitting.
// Step 1 alone at 1 and 100 streams, on the console: a quick look at the two levels whose
// latency is gated (a few minutes instead of a whole run), e.g. to compare two checkouts.
const latencyOnly = process.argv.includes('--latency-only');
const noCpu = latencyOnly || (!cpuOnly && process.argv.includes('--no-cpu'));
const profArg = process.argv.indexOf('--cpu-prof');
// Heap snapshots around the idle-stream step, and the kinds of object an open stream adds.
const heapArg = process.argv.indexOf('--heap-snapshot');
const heapDir = heapArg !== -1 && process.argv[heapArg + 1] ? resolve(process.argv[heapArg + 1] as string) : undefined;
// Only step 2 (idle streams), reported on the console: for tracing what an open stream holds.
const idleOnly = process.argv.includes('--idle-only');
const profDir = profArg !== -1 && process.argv[profArg + 1] ? resolve(process.argv[profArg + 1] as string) : undefined;
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
/**
 * Step 4: CPU and allocation per forwarded token. Each level runs chat-api and the minimal
 * proxy at two answer lengths (same pace as step 1), so CPU = a · sends + b · tokens can be
 * solved per path; the window opens once every worker finished an answer, as in step 1.
 */
const CPU_PLAN = quick
  ? { levels: [{ concurrency: 20, rampMs: 300, windowMs: 1500 }], lengths: [10, 40] as const, idleMs: 1000 }
  : {
      levels: [
        { concurrency: 100, rampMs: 1000, windowMs: 6000 },
        { concurrency: 1000, rampMs: 3000, windowMs: 6000 },
      ],
      lengths: [20, 100] as const,
      idleMs: 2000,
    };
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

// 14 min (10 before step 4): step 4 adds ~2–3 min, and a machine shared with other jobs stretches every step.
const watchdogMs = (quick ? 4 : 14) * 60_000;
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
function startProxy(p: StreamsPlatform, inspectPort?: number): Promise<RunningServer> {
  return startServer({
    name: 'proxy',
    args: ['--conditions=source', '--import', 'tsx', join(benchDir, 'lib', 'streams-proxy.ts')],
    env: { ...process.env, NODE_OPTIONS: inspectPort === undefined ? '' : `--inspect-port=127.0.0.1:${inspectPort}`, STREAMS_PROXY_UPSTREAM: p.urls.inference },
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

async function withPlatform<T>(env: Record<string, string>, what: string, fn: (p: StreamsPlatform, load: LoadChild, session: Session) => Promise<T>, conversations: number, launcherInspectPort?: number): Promise<T> {
  const t0 = Date.now();
  const platform = await startStreamsPlatform(repoRoot, { ...BASE_ENV, ...env }, undefined, launcherInspectPort);
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

async function latencyStep(): Promise<{ latency: LatencyResult[]; cpu: CpuReport | undefined }> {
  const { env, port } = await inspectable({ DEMO_TOKENS_PER_SECOND: String(TOKENS_PER_SECOND) });
  const proxyInspectPort = await freePort();
  // --cpu-prof profiles the launcher too (it serves the embedded database).
  const launcherInspectPort = profDir === undefined ? undefined : await freePort();
  return withPlatform(
    env,
    `1. latency (${TOKENS_PER_SECOND} tokens/s)${cpuOnly ? ' — skipped (--cpu-only)' : ''}${noCpu ? '' : ', then 4. CPU per token'}`,
    async (p, load, session) => {
      const proxy = await startProxy(p, proxyInspectPort);
      const proxyUrl = `http://127.0.0.1:${proxy.port}`;
      try {
        const warm: LevelPlan = { concurrency: 10, rampMs: 200, windowMs: quick ? 500 : 2000, maxTokens: 10 };
        for (const path of PATHS) await runLatency(p, load, session, path, warm, proxyUrl);
        const results: LatencyResult[] = [];
        for (const [index, level] of (cpuOnly ? [] : latencyOnly ? LEVELS.filter((l) => l.concurrency <= 100) : LEVELS).entries()) {
          // The order rotates between levels, so no path always runs first or last.
          const order = PATHS.map((_, k) => PATHS[(k + index) % PATHS.length] as StreamPath);
          for (const path of order) {
            const r = await runLatency(p, load, session, path, level, proxyUrl);
            printLatency(r);
            results.push(r);
          }
        }
        // A failed CPU step (the machine past capacity) leaves step 1's figures standing.
        const cpu = noCpu
          ? undefined
          : await cpuStep(p, load, session, proxy, proxyUrl, port, proxyInspectPort, launcherInspectPort).catch((err: unknown) => {
              log(`⚠ 4. CPU per token failed: ${(err as Error).message}`);
              return undefined;
            });
        return { latency: results, cpu };
      } finally {
        await proxy.stop();
      }
    },
    CONVERSATIONS,
    launcherInspectPort,
  );
}

/** CPU time of every measured process over `ms` with no stream running: µs of CPU per ms. */
async function idleRates(pids: Record<string, number>, ms: number): Promise<Record<string, number>> {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, procCpuUs(pid)]));
  const t0 = performance.now();
  await sleep(ms);
  const elapsed = performance.now() - t0;
  return Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, (procCpuUs(pid) - (before[k] as number)) / elapsed]));
}

/**
 * Step 4 (see CPU_PLAN): per level and answer length, chat-api then the proxy (the order
 * alternating), each a closed-loop latency run whose window carries CPU readings of every
 * process and a V8 allocation probe in the path's own process.
 */
async function cpuStep(p: StreamsPlatform, load: LoadChild, session: Session, proxy: RunningServer, proxyUrl: string, chatInspectPort: number, proxyInspectPort: number, launcherInspectPort?: number): Promise<CpuReport> {
  const pids: Record<string, number> = {
    'chat-api': p.pids['chat-api'] as number,
    proxy: proxy.pid,
    inference: p.pids.inference as number,
    auth: p.pids.auth as number,
    database: p.launcherPid,
  };
  const sessions = {
    chat: await InspectorSession.open(pids['chat-api'] as number, chatInspectPort, 'chat-api'),
    proxy: await InspectorSession.open(proxy.pid, proxyInspectPort, 'proxy'),
  };
  const launcher = launcherInspectPort === undefined ? undefined : await InspectorSession.open(p.launcherPid, launcherInspectPort, 'launcher');
  const probes = { chat: new HeapProbe(sessions.chat), proxy: new HeapProbe(sessions.proxy) };
  if (profDir) mkdirSync(profDir, { recursive: true });
  try {
    if (cpuOnly) {
      // Step 1 did not run: every path warmed at both lengths.
      for (const path of ['chat', 'proxy'] as const) for (const maxTokens of CPU_PLAN.lengths) await runLatency(p, load, session, path, { concurrency: 50, rampMs: 200, windowMs: 1000, maxTokens }, proxyUrl);
    }
    await drained(p);
    const idleUsPerMs = await idleRates({ ...pids, load: load.pid }, CPU_PLAN.idleMs);
    const runs: CpuRun[] = [];
    let turn = 0;
    for (const level of CPU_PLAN.levels) {
      for (const maxTokens of CPU_PLAN.lengths) {
        const order = turn++ % 2 === 0 ? (['chat', 'proxy'] as const) : (['proxy', 'chat'] as const);
        for (const path of order) {
          const probe = probes[path];
          let heap: Promise<HeapWindow | undefined> | undefined;
          let started: Promise<void> | undefined;
          // Profiled on chat windows: chat-api and, when it has an inspector port, the launcher.
          const profiled = profDir !== undefined && path === 'chat' ? [{ name: 'chat', session: sessions.chat }, ...(launcher ? [{ name: 'launcher', session: launcher }] : [])] : [];
          const off = load.on('latency:window', (m) => {
            if (m.phase === 'open') {
              started = probe.start();
              for (const { session: s } of profiled) started = started.then(() => s.call('Profiler.enable')).then(() => s.call('Profiler.start'));
            } else
              heap = (started ?? Promise.resolve()).then(async () => {
                const h = await probe.stop();
                for (const { name, session: s } of profiled) {
                  const { profile } = await s.call<{ profile: CpuProfile }>('Profiler.stop');
                  const file = join(profDir as string, `${name}-${level.concurrency}-${maxTokens}.cpuprofile`);
                  writeFileSync(file, JSON.stringify(profile));
                  const summary = summariseProfile(profile, 30);
                  log(`  profile ${file}: ${summary.totalMs.toFixed(0)} ms, idle ${(summary.idleShare * 100).toFixed(1)} %`);
                  for (const o of summary.origins.slice(0, 15)) log(`    origin ${o.name}: ${o.selfMs.toFixed(0)} ms (${(o.share * 100).toFixed(1)} %)`);
                  for (const f of summary.functions.slice(0, 30)) log(`    fn ${f.name}: ${f.selfMs.toFixed(0)} ms (${(f.share * 100).toFixed(1)} %)`);
                }
                return h;
              });
          });
          try {
            const r = await load.call<LatencyResult>('latency', { ...target(p, proxyUrl), ...session, path, concurrency: level.concurrency, rampMs: level.rampMs, windowMs: level.windowMs, maxTokens, cpuPids: pids } satisfies LatencyCommand, level.rampMs + level.windowMs + 120_000);
            const h = await heap?.catch((err: unknown) => {
              log(`⚠ allocation probe of ${path}: ${(err as Error).message}`);
              return undefined;
            });
            if (!r.cpu) throw new Error(`CPU step: no window readings for ${path} ×${level.concurrency}`);
            runs.push({ path, concurrency: level.concurrency, maxTokens, cpu: r.cpu, heap: h, failures: r.failures });
            const own = path === 'chat' ? 'chat-api' : 'proxy';
            log(
              `  cpu ${path.padEnd(5)} ×${String(level.concurrency).padStart(4)} max_tokens ${maxTokens}: ${r.cpu.sends} sends, ${r.cpu.tokens} tokens in ${(r.cpu.windowMs / 1000).toFixed(2)} s; ${own} ${((r.cpu.cpuUs[own] ?? 0) / 1000).toFixed(0)} ms CPU, inference ${((r.cpu.cpuUs.inference ?? 0) / 1000).toFixed(0)} ms, load ${((r.cpu.cpuUs.load ?? 0) / 1000).toFixed(0)} ms; heap ${h ? `${(h.allocated / 2 ** 20).toFixed(1)} MiB, ${h.gcs} GCs` : 'n/a'}${r.failures ? `; ${r.failures} failures (${r.firstFailure})` : ''}`,
            );
          } finally {
            off();
          }
          await drained(p);
        }
      }
    }
    const report: CpuReport = { plan: { levels: CPU_PLAN.levels, lengths: [...CPU_PLAN.lengths], idleMs: CPU_PLAN.idleMs }, idleUsPerMs, runs, profiled: profDir !== undefined };
    console.log(`\n${table(CPU_HEADERS, cpuRows(report))}\n`);
    return report;
  } finally {
    sessions.chat.close();
    sessions.proxy.close();
    launcher?.close();
  }
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
  const snapshotName = (when: string) => join(heapDir as string, `chat-api-${hold.paused ? 'paused' : 'idle'}-${when}.heapsnapshot`);
  if (heapDir) await takeHeapSnapshot(pid, inspectPort, snapshotName('before'));
  const open = await load.call<HoldResult>('hold:open', command, hold.rampMs + 120_000);
  await sleep(settleMs);
  const liveWith = await collect();
  const withKb = await sampleRssKb(pid);
  if (heapDir) {
    await takeHeapSnapshot(pid, inspectPort, snapshotName('with'));
    const growth = heapGrowth(await summariseSnapshot(snapshotName('before')), await summariseSnapshot(snapshotName('with')), open.opened);
    log(`  heap growth per open stream (${open.opened} open; snapshots in ${heapDir}):`);
    for (const row of growth) log(`    ${row.bytesPerUnit.toFixed(0).padStart(7)} B  ${row.countPerUnit.toFixed(2).padStart(7)} objects  ${row.kind}`);
  }
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

  if (heapDir) mkdirSync(heapDir, { recursive: true });
  if (idleOnly) {
    const idle = await idleStep();
    log(`--idle-only: ${idle.open.opened} idle streams: RSS ${perStreamKb(idle).toFixed(1)} KiB, live ${liveKbPerStream(idle)?.toFixed(1) ?? '?'} KiB per stream; nothing written to RESULTS`);
    return;
  }
  const { latency, cpu } = await latencyStep();
  if (latencyOnly) {
    log(`--latency-only: ${latency.length} runs above; nothing written to RESULTS (load average ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')})`);
    return;
  }
  if (cpuOnly) {
    const file = join(os.tmpdir(), `samosachaat-bench-streams-cpu-${Date.now()}.json`);
    writeFileSync(file, JSON.stringify({ startedAt, loadAvgStart, loadAvgEnd: os.loadavg(), cpu }, null, 2));
    log(`--cpu-only: nothing written to RESULTS; the runs are in ${file} (load average ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')})`);
    return;
  }
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
    cpu,
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
