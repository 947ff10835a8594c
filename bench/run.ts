/**
 * samosaChaat benchmarks: HTTP throughput of bare Fastify vs full observability vs the
 * hand-assembled alternative, logger cost per line, and /metrics render time.
 *
 *   npm run bench                 # full run (several minutes), writes bench/RESULTS.md
 *   npm run bench -- --quick      # smoke run: 1 round of 1 s windows, writes to the temp dir
 *   npm run bench -- --out FILE   # write the report elsewhere
 *
 * Every step is bounded in time, uses loopback only and stops by itself; a watchdog ends the
 * run (and its servers) if anything wedges.
 */
import os from 'node:os';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { calibrateRepeat, PAYLOAD_BYTES } from './servers/common.cjs';
import { measure } from './lib/load.js';
import { busyProcesses, renderMarkdown, routeTables, table, verdictRows, type Arm, type BenchReport, type HttpSample, type Method, type Route, type RouteSummary } from './lib/report.js';
import { runChildForResult, startServer, type ServerSpec } from './lib/spawn.js';
import { median, ratio, roundOrder } from './lib/stats.js';
import type { MicroResult } from './micro/main.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(benchDir, '..');
const quick = process.argv.includes('--quick');
const outArg = process.argv.indexOf('--out');
const outFile = outArg !== -1 && process.argv[outArg + 1] ? resolve(process.argv[outArg + 1] as string) : quick ? join(os.tmpdir(), 'samosachaat-bench-quick.md') : join(benchDir, 'RESULTS.md');

const ARMS: Arm[] = ['bare', 'full', 'assembled'];
const ROUTES: Route[] = ['hello', 'json'];
const CONNECTIONS = 50;
const WARMUP_S = quick ? 1 : 2;
const DURATION_S = quick ? 1 : 5;
const ROUNDS = quick ? 1 : 6;
const LOGGER_LINES = quick ? 20_000 : 200_000;
const LOGGER_ROUNDS = quick ? 1 : 7;
const RENDERS = quick ? 3 : 15;
const TSX = ['--conditions=source', '--import', 'tsx'];

// Worst case per measurement: start-up timeout + warm-up + window + autocannon guards + stop.
const watchdogMs = (ROUNDS * ARMS.length * ROUTES.length * (30 + WARMUP_S + DURATION_S + 40) + 600) * 1000;
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
    const r = await measure({ url: `http://127.0.0.1:${server.port}/${route}`, connections: CONNECTIONS, warmupSeconds: WARMUP_S, durationSeconds: DURATION_S });
    return { arm, route, ...r, workUs: server.workUs, startMs };
  } finally {
    await server.stop();
  }
}

function summarise(route: Route, samples: HttpSample[]): RouteSummary {
  const of = (arm: Arm) => samples.filter((s) => s.route === route && s.arm === arm);
  const arms = Object.fromEntries(
    ARMS.map((arm) => {
      const s = of(arm);
      return [arm, { rps: median(s.map((x) => x.rps)), p50Ms: median(s.map((x) => x.p50Ms)), p99Ms: median(s.map((x) => x.p99Ms)) }];
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
    p99AddedMs: arms.full.p99Ms - arms.bare.p99Ms,
    assembledP99AddedMs: arms.assembled.p99Ms - arms.bare.p99Ms,
  };
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const loadAvgStart = os.loadavg();
  const busyStart = busyProcesses();
  if (busyStart.length) console.log(`bench: note — other busy processes: ${busyStart.join('; ')}`);
  console.log(`bench: ${quick ? 'QUICK smoke run' : 'full run'} — ${ROUNDS} round(s) × ${ROUTES.length} routes × ${ARMS.length} arms, ${WARMUP_S} s warm-up + ${DURATION_S} s window, ${CONNECTIONS} connections`);

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
        const bad = s.errors + s.timeouts + s.non2xx;
        console.log(
          `  round ${round + 1}/${ROUNDS}  ${route.padEnd(5)}  ${arm.padEnd(9)}  ${s.rps.toFixed(0).padStart(7)} req/s  p99 ${s.p99Ms.toFixed(2).padStart(7)} ms${bad ? `  (${bad} errors/non-2xx)` : ''}`,
        );
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
  writeFileSync(outFile, renderMarkdown(report));
  console.log(`\nbench: report written to ${outFile}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('bench: failed:', err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
