/**
 * Profiles benchmark servers under load and shows where the added CPU per request goes.
 *
 * For each arm (default: bare, then full): start the server, warm it up for 2 s, start the
 * V8 sampling profiler inside it over IPC (no start-up code in the profile), drive one route
 * for the window, stop the profiler, stop the server. Self time is then divided by the
 * requests served in the window: µs per request by origin (npm package, repository file, Node
 * internals, GC) side by side, and the top functions of the last arm.
 *
 *   node --conditions=source --import tsx bench/profile.ts [--arms bare,full] [--route hello]
 *        [--seconds 8] [--out FILE]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { calibrateRepeat } from './servers/common.cjs';
import { measure, type LoadResult } from './lib/load.js';
import { summariseProfile, type CpuProfile, type ProfileSummary } from './lib/profile.js';
import { table } from './lib/report.js';
import { startServer } from './lib/spawn.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(benchDir, '..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}

interface ArmProfile {
  arm: string;
  load: LoadResult;
  summary: ProfileSummary;
}

async function profileArm(arm: string, route: string, seconds: number, env: NodeJS.ProcessEnv, dir: string): Promise<ArmProfile> {
  const file = join(benchDir, 'servers', arm === 'assembled' ? 'assembled.cjs' : `${arm}.ts`);
  // Source maps on so the server can report original line numbers of tsx-served code.
  const args = arm === 'assembled' ? ['--enable-source-maps', file] : ['--enable-source-maps', '--conditions=source', '--import', 'tsx', file];
  const server = await startServer({ name: arm, args, env, cwd: repoRoot });
  const path = join(dir, `${arm}.cpuprofile`);
  try {
    const url = `http://127.0.0.1:${server.port}/${route}`;
    await measure({ url, connections: 50, warmupSeconds: 2, durationSeconds: 1 });
    await server.command('profile-start');
    const load = await measure({ url, connections: 50, warmupSeconds: 0, durationSeconds: seconds });
    await server.command('profile-stop', { path });
    const summary = summariseProfile(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile, Number.POSITIVE_INFINITY);
    return { arm, load, summary };
  } finally {
    await server.stop();
  }
}

function perRequestTable(profiles: ArmProfile[], pick: (s: ProfileSummary) => Array<{ name: string; selfMs: number }>, limit: number): string {
  const us = profiles.map((p) => new Map(pick(p.summary).map((r) => [r.name, (r.selfMs * 1000) / p.load.requests])));
  const last = us[us.length - 1] as Map<string, number>;
  const first = us[0] as Map<string, number>;
  const names = [...new Set(us.flatMap((m) => [...m.keys()]))];
  const delta = (n: string): number => (last.get(n) ?? 0) - (profiles.length > 1 ? (first.get(n) ?? 0) : 0);
  names.sort((a, b) => (profiles.length > 1 ? delta(b) - delta(a) : (last.get(b) ?? 0) - (last.get(a) ?? 0)));
  const headers = ['', ...profiles.map((p) => `${p.arm} µs/req`), ...(profiles.length > 1 ? [`${profiles.at(-1)?.arm} − ${profiles[0]?.arm}`] : [])];
  const rows = names.slice(0, limit).map((n) => [
    n.startsWith('(') ? n : `\`${n}\``,
    ...us.map((m) => (m.get(n) ?? 0).toFixed(2)),
    ...(profiles.length > 1 ? [`${delta(n) >= 0 ? '+' : ''}${delta(n).toFixed(2)}`] : []),
  ]);
  return table(headers, rows);
}

async function main(): Promise<void> {
  const arms = arg('arms', 'bare,full').split(',');
  const route = arg('route', 'hello');
  const seconds = Number(arg('seconds', '8'));
  for (const arm of arms) if (!['bare', 'full', 'assembled'].includes(arm)) throw new Error('--arms takes bare, full, assembled');
  if (!['hello', 'json'].includes(route)) throw new Error('--route must be hello or json');
  if (!(seconds > 0 && seconds <= 60)) throw new Error('--seconds must be in (0, 60]');
  setTimeout(() => process.exit(2), arms.length * (seconds + 60) * 1000).unref();

  const dir = mkdtempSync(join(os.tmpdir(), 'samosachaat-prof-'));
  try {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^(LOG_|OTEL_|METRICS_ENABLED$|TRACE_BUFFER_SIZE$|NODE_OPTIONS$)/.test(k)) env[k] = v;
    env.BENCH_JSON_REPEAT = String(calibrateRepeat(85).repeat);
    const profiles: ArmProfile[] = [];
    for (const arm of arms) profiles.push(await profileArm(arm, route, seconds, env, dir));

    const md = `# CPU profile per request: ${arms.join(' vs ')}, \`GET /${route}\`

${new Date().toISOString()} — ${os.cpus()[0]?.model.trim()}, ${os.cpus().length} cores, Node ${process.version}. Each server: 2 s warm-up, then the V8 sampling profiler (250 µs) over a ${seconds} s window of 50 connections. Self time ÷ 2xx requests in the window = µs per request.

${table(['arm', 'req/s', 'p99 ms', 'requests', 'idle share'], profiles.map((p) => [p.arm, p.load.rps.toFixed(0), p.load.p99Ms.toFixed(2), String(p.load.requests), `${(p.summary.idleShare * 100).toFixed(1)} %`]))}

## Self time per request by origin

${perRequestTable(profiles, (s) => s.origins, 30)}

## Functions by added self time per request

${perRequestTable(profiles, (s) => s.functions, 40)}
`;
    console.log(md);
    if (process.argv.includes('--out')) writeFileSync(resolve(arg('out', 'PROFILE.md')), md);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('profile: failed:', err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
