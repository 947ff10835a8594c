/**
 * samosaChaat benchmarks: HTTP throughput of bare Fastify vs full observability vs the
 * hand-assembled alternative (closed-loop saturation), their latency at a fixed request rate
 * well under capacity, logger cost per line, and /metrics render time.
 *
 *   npm run bench                 # full run (several minutes), writes bench/RESULTS.md
 *   npm run bench -- --quick      # smoke run: 1 round of 1 s windows, writes to the temp dir
 *   npm run bench -- --out FILE   # write the report elsewhere
 *
 * Every step is bounded in time, uses loopback only and stops by itself; a watchdog ends the
 * run (and its servers) if anything wedges.
 */
import os from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { calibrateRepeat, PAYLOAD_BYTES } from './servers/common.cjs';
import { measure, measureFixedRate } from './lib/load.js';
import { busyProcesses, renderMarkdown, routeTables, table, verdictRows, type Arm, type BenchReport, type HttpSample, type Method, type Route, type RouteSummary } from './lib/report.js';
import { runChildForResult, startServer, type ServerSpec } from './lib/spawn.js';
import { median, MIN_RATE_FRACTION, rateSustained, ratio, roundOrder } from './lib/stats.js';
import type { MicroResult } from './micro/main.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(benchDir, '..');
const quick = process.argv.includes('--quick');
const outArg = process.argv.indexOf('--out');
const outFile = outArg !== -1 && process.argv[outArg + 1] ? resolve(process.argv[outArg + 1] as string) : quick ? join(os.tmpdir(), 'samosachaat-bench-quick.md') : join(benchDir, 'RESULTS.md');

const ARMS: Arm[] = ['bare', 'als', 'full', 'assembled'];
const ROUTES: Route[] = ['hello', 'json'];
const CONNECTIONS = 50;
const WARMUP_S = quick ? 1 : 2;
const DURATION_S = quick ? 1 : 5;
const ROUNDS = quick ? 1 : Math.max(5, Number(process.env.BENCH_ROUNDS ?? 6) || 6);
/**
 * Fixed-rate latency phase, run after the saturation window on the same server: paced load
 * (autocannon `overallRate`) well under every arm's capacity on the reference 2-core box
 * (assembled does ≥ 4k req/s on /hello, ≥ 2k on /json), so p99 reflects the time each request
 * takes, not a queue; the ≤ 1 ms p99 target is judged here. Same rates in --quick mode.
 */
const FIXED_RATE: Record<Route, number> = { hello: 1000, json: 400 };
// One connection: never two requests in flight, so the p99 is what one request costs, not queueing.
const FIXED_CONNECTIONS = 1;
const FIXED_WARMUP_S = 1;
const FIXED_DURATION_S = DURATION_S;
const LOGGER_LINES = quick ? 20_000 : 200_000;
const LOGGER_ROUNDS = quick ? 1 : 7;
const RENDERS = quick ? 3 : 15;
const TSX = ['--conditions=source', '--import', 'tsx'];

// Worst case per measurement: start-up timeout + both phases' warm-ups + windows + autocannon guards + stop.
const watchdogMs = (ROUNDS * ARMS.length * ROUTES.length * (30 + WARMUP_S + DURATION_S + FIXED_WARMUP_S + FIXED_DURATION_S + 70) + 600) * 1000;
setTimeout(() => {
  console.error(`bench: watchdog fired after ${watchdogMs / 1000} s; giving up`);
  process.exit(2); // spawn.ts kills every live server on exit
}, watchdogMs).unref();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

/** The children's environment: the observability variables unset, so defaults apply. */
function childEnv(jsonRepeat: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(LOG_|OTEL_|METRICS_ENABLED$|TRACE_BUFFER_SIZE$|ENVIRONMENT$|APP_VERSION$|NODE_OPTIONS$)/.test(key)) continue;
    env[key] = value;
  }
  env.BENCH_JSON_REPEAT = String(jsonRepeat);
  return env;
}

function serverSpec(arm: Arm, env: NodeJS.ProcessEnv): ServerSpec {
  const file = join(benchDir, 'servers', arm === 'assembled' ? 'assembled.cjs' : `${arm}.ts`);
  return { name: arm, args: arm === 'assembled' ? [file] : [...TSX, file], env, cwd: repoRoot };
}

async function measureOne(arm: Arm, route: Route, env: NodeJS.ProcessEnv): Promise<Omit<HttpSample, 'round' | 'position'>> {
  const t0 = performance.now();
  const server = await startServer(serverSpec(arm, env));
  const startMs = performance.now() - t0;
  try {
    const url = `http://127.0.0.1:${server.port}/${route}`;
    const r = await measure({ url, connections: CONNECTIONS, warmupSeconds: WARMUP_S, durationSeconds: DURATION_S });
    const f = await measureFixedRate({ url, connections: FIXED_CONNECTIONS, ratePerSecond: FIXED_RATE[route], warmupSeconds: FIXED_WARMUP_S, durationSeconds: FIXED_DURATION_S });
    return {
      arm,
      route,
      ...r,
      fixedRatePerSecond: f.ratePerSecond,
      fixedAchievedRps: f.achievedRps,
      fixedSustained: rateSustained(f.achievedRps, f.ratePerSecond),
      fixedP50Ms: f.p50Ms,
      fixedP99Ms: f.p99Ms,
      fixedRequests: f.requests,
      fixedErrors: f.errors + f.timeouts + f.non2xx,
      workUs: server.workUs,
      startMs,
    };
  } finally {
    await server.stop();
  }
}

function summarise(route: Route, samples: HttpSample[]): RouteSummary {
  const of = (arm: Arm) => samples.filter((s) => s.route === route && s.arm === arm);
  const arms = Object.fromEntries(
    ARMS.map((arm) => {
      const s = of(arm);
      return [
        arm,
        {
          rps: median(s.map((x) => x.rps)),
          p50Ms: median(s.map((x) => x.p50Ms)),
          p99Ms: median(s.map((x) => x.p99Ms)),
          fixedAchievedRps: median(s.map((x) => x.fixedAchievedRps)),
          fixedP50Ms: median(s.map((x) => x.fixedP50Ms)),
          fixedP99Ms: median(s.map((x) => x.fixedP99Ms)),
        },
      ];
    }),
  ) as RouteSummary['arms'];
  const paired = (arm: Arm): number => {
    const ratios: number[] = [];
    for (const s of of(arm)) {
      const bare = of('bare').find((b) => b.round === s.round);
      if (bare) ratios.push(ratio(s.rps, bare.rps));
    }
    return median(ratios);
  };
  return {
    route,
    arms,
    fullRatio: ratio(arms.full.rps, arms.bare.rps),
    assembledRatio: ratio(arms.assembled.rps, arms.bare.rps),
    fullRatioPaired: paired('full'),
    assembledRatioPaired: paired('assembled'),
    alsRatio: ratio(arms.als.rps, arms.bare.rps),
    alsRatioPaired: paired('als'),
    fixedRatePerSecond: FIXED_RATE[route],
    p99AddedMs: arms.full.fixedP99Ms - arms.bare.fixedP99Ms,
    assembledP99AddedMs: arms.assembled.fixedP99Ms - arms.bare.fixedP99Ms,
    saturationP99AddedMs: arms.full.p99Ms - arms.bare.p99Ms,
    assembledSaturationP99AddedMs: arms.assembled.p99Ms - arms.bare.p99Ms,
    unsustained: samples
      .filter((s) => s.route === route && !s.fixedSustained)
      .map((s) => ({ arm: s.arm, round: s.round, achievedRps: s.fixedAchievedRps })),
  };
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const loadAvgStart = os.loadavg();
  const busyStart = busyProcesses();
  if (busyStart.length) console.log(`bench: note — other busy processes: ${busyStart.join('; ')}`);
  console.log(`bench: ${quick ? 'QUICK smoke run' : 'full run'} — ${ROUNDS} round(s) × ${ROUTES.length} routes × ${ARMS.length} arms, ${WARMUP_S} s warm-up + ${DURATION_S} s window, ${CONNECTIONS} connections`);
  console.log(
    `bench: then, same server, fixed rate ${ROUTES.map((r) => `${r} ${FIXED_RATE[r]} req/s`).join(', ')} over ${FIXED_CONNECTIONS} connections, ${FIXED_WARMUP_S} s warm-up + ${FIXED_DURATION_S} s window`,
  );

  const calibration = calibrateRepeat(85);
  console.log(`bench: /json repeat = ${calibration.repeat} (unit ${calibration.unitUs.toFixed(1)} µs, one call ${calibration.perCallUs.toFixed(1)} µs)`);
  const env = childEnv(calibration.repeat);

  const samples: HttpSample[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const route of ROUTES) {
      const order = roundOrder(ARMS, round);
      for (const [position, arm] of order.entries()) {
        const s = { round, position, ...(await measureOne(arm, route, env)) };
        samples.push(s);
        const bad = s.errors + s.timeouts + s.non2xx + s.fixedErrors;
        const fixed = `at ${s.fixedRatePerSecond}/s: p50 ${s.fixedP50Ms.toFixed(2)} p99 ${s.fixedP99Ms.toFixed(2).padStart(6)} ms (${s.fixedAchievedRps.toFixed(0)} req/s achieved)`;
        console.log(
          `  round ${round + 1}/${ROUNDS}  ${route.padEnd(5)}  ${arm.padEnd(9)}  ${s.rps.toFixed(0).padStart(7)} req/s  p99 at saturation ${s.p99Ms.toFixed(2).padStart(7)} ms  ${fixed}${bad ? `  (${bad} errors/non-2xx)` : ''}`,
        );
        if (!s.fixedSustained) {
          console.log(`  ⚠ ${route}/${arm}: fixed rate not sustained (${s.fixedAchievedRps.toFixed(0)} < ${(MIN_RATE_FRACTION * 100).toFixed(0)} % of ${s.fixedRatePerSecond} req/s); its fixed-rate p99 is not comparable`);
        }
      }
    }
  }

  console.log('bench: logger and /metrics render micro-benchmarks (child process)…');
  const micro = await runChildForResult<MicroResult>(
    [...TSX, join(benchDir, 'micro', 'main.ts'), '--lines', String(LOGGER_LINES), '--rounds', String(LOGGER_ROUNDS), '--renders', String(RENDERS)],
    { cwd: repoRoot, env: childEnv(calibration.repeat), timeoutMs: 10 * 60_000 },
  );

  const method: Method = {
    quick,
    connections: CONNECTIONS,
    warmupSeconds: WARMUP_S,
    durationSeconds: DURATION_S,
    fixedConnections: FIXED_CONNECTIONS,
    fixedRates: FIXED_RATE,
    fixedWarmupSeconds: FIXED_WARMUP_S,
    fixedDurationSeconds: FIXED_DURATION_S,
    minRateFraction: MIN_RATE_FRACTION,
    rounds: ROUNDS,
    armOrder: ARMS,
    jsonRepeat: calibration.repeat,
    payloadBytes: PAYLOAD_BYTES,
    calibrationUnitUs: calibration.unitUs,
    calibrationPerCallUs: calibration.perCallUs,
    serverWorkUs: median(samples.map((s) => s.workUs)),
    loggerLines: LOGGER_LINES,
    loggerRounds: LOGGER_ROUNDS,
    renders: RENDERS,
  };
  const report: BenchReport = {
    startedAt,
    finishedAt: new Date().toISOString(),
    loadAvgStart,
    loadAvgEnd: os.loadavg(),
    busyStart,
    busyEnd: busyProcesses(),
    method,
    routes: ROUTES.map((route) => summarise(route, samples)),
    samples,
    micro,
  };

  console.log(`\n${routeTables(report)}`);
  console.log(table(['measurement', 'result', 'target', 'verdict'], verdictRows(report)));
  console.log(`\nlogger: contract ${micro.logger.contractMedianNs.toFixed(0)} ns/line, raw pino ${micro.logger.pinoMedianNs.toFixed(0)} ns/line`);
  console.log(`/json work: ${method.serverWorkUs.toFixed(1)} µs per call (median of the servers' start-up measurements)`);
  // This report is the file's opening part; everything after it is kept as it is: the sections
  // other benchmarks write between their markers (bench/streams.ts, bench/streams-ab.ts,
  // bench/llama.ts, bench/ui-markdown.ts, the per-request tables) and the hand-written ones
  // between and after them. The opening part ends where the first of those markers is.
  let kept = '';
  try {
    const previous = readFileSync(outFile, 'utf8');
    const starts = ['per-request', 'streams', 'streams-ab', 'llama', 'ui-markdown'].map((name) => previous.indexOf(`<!-- ${name}:start -->`)).filter((i) => i !== -1);
    if (starts.length > 0) kept = `\n${previous.slice(Math.min(...starts))}`;
  } catch {
    // First run: nothing to keep.
  }
  writeFileSync(outFile, renderMarkdown(report) + kept);
  console.log(`\nbench: report written to ${outFile}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('bench: failed:', err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
