/**
 * Quick A/B of server variants by CPU time per request — the measure that held up best on
 * this shared 2-core machine, where throughput swings by half from one minute to the next.
 *
 * Each arm is a benchmark server (`bench/servers/<file>.ts`) with extra environment; every
 * round starts each arm afresh (order reversed on even rounds), loads it for 2 s, then
 * measures a 4 s window of 50 connections: requests/s, and the server process's CPU time
 * (user + system, all threads, from /proc/<pid>/stat) divided by the responses served.
 *
 *   node --conditions=source --import tsx bench/ab.ts ROUTE ROUNDS NAME:FILE[:ENV=VALUE...]...
 *   e.g. bench/ab.ts hello 3 bare:bare full:full nolog:full:LOG_LEVEL=warning
 *
 * FILE is relative to bench/servers/, so an arm may run another checkout's server (with its
 * own node_modules): `old:../../../other-worktree/bench/servers/full` — two versions of the
 * code alternated in one run.
 *
 * Linux only (/proc). Prints medians and each arm's ratio to the first arm.
 */
import { readFileSync } from 'node:fs';
import { calibrateRepeat } from './servers/common.cjs';
import { measure } from './lib/load.js';
import { startServer } from './lib/spawn.js';

interface Arm {
  name: string;
  file: string;
  env: NodeJS.ProcessEnv;
}

/** CPU time (user + system) of a process so far, in µs. */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error(`cannot read the CPU time of process ${pid}`);
  return (ticks * 1e6) / 100; // USER_HZ is 100 on Linux
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const [route = '', roundsArg = '', ...armArgs] = process.argv.slice(2);
const rounds = Number(roundsArg);
if (!['hello', 'json'].includes(route) || !(Number.isInteger(rounds) && rounds > 0) || armArgs.length === 0) {
  console.error('usage: bench/ab.ts hello|json ROUNDS NAME:FILE[:ENV=VALUE...]...');
  process.exit(2);
}
const repeat = String(calibrateRepeat(85).repeat);
const arms: Arm[] = armArgs.map((spec) => {
  const [name, file, ...pairs] = spec.split(':');
  if (!name || !file) throw new Error(`arm "${spec}" must be NAME:FILE[:ENV=VALUE...]`);
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_JSON_REPEAT: repeat };
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new Error(`"${pair}" in arm "${spec}" is not ENV=VALUE`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { name, file, env };
});

const rps = new Map<string, number[]>();
const cpu = new Map<string, number[]>();
for (let round = 0; round < rounds; round++) {
  for (const arm of round % 2 ? [...arms].reverse() : arms) {
    const server = await startServer({ name: arm.name, args: ['--conditions=source', '--import', 'tsx', `bench/servers/${arm.file}.ts`], env: arm.env, cwd: process.cwd() });
    try {
      const url = `http://127.0.0.1:${server.port}/${route}`;
      await measure({ url, connections: 50, warmupSeconds: 0, durationSeconds: 2 });
      const before = cpuMicros(server.pid);
      const load = await measure({ url, connections: 50, warmupSeconds: 0, durationSeconds: 4 });
      const perRequest = (cpuMicros(server.pid) - before) / (load.requests + load.non2xx);
      rps.set(arm.name, [...(rps.get(arm.name) ?? []), load.rps]);
      cpu.set(arm.name, [...(cpu.get(arm.name) ?? []), perRequest]);
      console.log(`round ${round + 1}/${rounds}  ${arm.name.padEnd(16)} ${load.rps.toFixed(0).padStart(7)} req/s  ${perRequest.toFixed(1).padStart(6)} µs CPU/request`);
    } finally {
      await server.stop();
    }
  }
}
const first = arms[0] as Arm;
const baseRps = median(rps.get(first.name) ?? []);
const baseCpu = median(cpu.get(first.name) ?? []);
console.log(`\nmedians over ${rounds} round(s), ratios to ${first.name}:`);
for (const arm of arms) {
  const r = median(rps.get(arm.name) ?? []);
  const c = median(cpu.get(arm.name) ?? []);
  console.log(`${arm.name.padEnd(16)} ${r.toFixed(0).padStart(7)} req/s (${((100 * r) / baseRps).toFixed(1)} %)  ${c.toFixed(1).padStart(6)} µs CPU/request (${((100 * baseCpu) / c).toFixed(1)} % of ${first.name}'s throughput per CPU)`);
}
