/**
 * Helpers for proving the monitoring configuration against a real Prometheus: a small client
 * for its HTTP API, polling with deadlines, the PromQL queries of the committed Grafana
 * dashboards (variables substituted the way Grafana would), and a `samosachaat start` launcher.
 */
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_VARIABLE_VALUES, panelQueries, substituteVariables, type DashboardJson } from '../../packages/monitoring/src/dashboards/inspect.js';
import { repoRoot } from './platform.js';
import { scaled } from './timeouts.js';

/** One series of an instant query. */
export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** What /api/v1/query answered: the series, or the error Prometheus gave. */
export type QueryAnswer = { ok: true; result: PromSample[] } | { ok: false; error: string };

/** Runs an instant query; a PromQL error is an answer (ok: false), a transport error throws. */
export async function promQuery(prometheusUrl: string, expr: string): Promise<QueryAnswer> {
  const res = await fetch(`${prometheusUrl}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: expr }),
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await res.json()) as { status: string; error?: string; errorType?: string; data?: { resultType: string; result: unknown } };
  if (body.status !== 'success') return { ok: false, error: `${body.errorType ?? res.status}: ${body.error ?? 'unknown error'}` };
  const data = body.data!;
  // Scalars and strings have one value and no labels; vectors and matrices list series.
  if (data.resultType === 'scalar' || data.resultType === 'string') return { ok: true, result: [{ metric: {}, value: data.result as [number, string] }] };
  return { ok: true, result: data.result as PromSample[] };
}

/** GET a Prometheus (or Alertmanager) API path and return its `data`. */
export async function promApi<T>(baseUrl: string, path: string): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`, { signal: AbortSignal.timeout(15_000) });
  if (!res.ok) throw new Error(`GET ${path} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  const body = (await res.json()) as { status?: string; data: T };
  return body.data;
}

/**
 * Polls `check` until it returns a value other than undefined; after `timeoutMs` fails with
 * `what` and the last state `check` described through `describe`.
 */
export async function pollUntil<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, describe: () => string = () => ''): Promise<T> {
  const limitMs = scaled(timeoutMs);
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not true after ${Math.round(limitMs / 1000)} s. ${describe()}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** A Prometheus query of a dashboard panel, ready for /api/v1/query. */
export interface DashboardQuery {
  /** `<file> (<dashboard title>) / "<panel title>" (<refId>)`, for failure messages. */
  where: string;
  /** As written in the JSON. */
  rawExpr: string;
  /** With Grafana's variables substituted. */
  expr: string;
}

/**
 * The values the proof gives Grafana's variables: every dashboard variable at "All" (`.+`),
 * `$__rate_interval` 1m, `$__interval` 15s, `$__range` 5m.
 */
export const PROOF_VARIABLE_VALUES: Readonly<Record<string, string>> = { ...DEFAULT_VARIABLE_VALUES, __interval: '15s', __range: '5m' };

/**
 * Every Prometheus panel query of the committed dashboards (`<dir>/*.json`), walked with the
 * same code as the dashboard tests (packages/monitoring dashboards/inspect.ts); Loki panels
 * are left to the LogQL tests. A query with an unknown variable throws, naming it.
 */
export async function dashboardQueries(dir: string): Promise<{ files: string[]; queries: DashboardQuery[] }> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort();
  const queries: DashboardQuery[] = [];
  for (const file of files) {
    const json = JSON.parse(await readFile(join(dir, file), 'utf8')) as DashboardJson;
    for (const q of panelQueries(json)) {
      if (q.datasourceType === 'loki') continue;
      queries.push({ where: `${file} (${q.dashboard}) / "${q.panel}" (${q.refId})`, rawExpr: q.expr, expr: substituteVariables(q.expr, PROOF_VARIABLE_VALUES) });
    }
  }
  return { files, queries };
}

/** Base URL of every service a launcher reported ready (`samosachaat: <name> ready on <url>`). */
export function servicesReady(output: string): Record<string, string> {
  return Object.fromEntries([...output.matchAll(/samosachaat: (\S+) ready on (http:\/\/\S+)/g)].map((m) => [m[1]!, m[2]!]));
}

/** A `samosachaat start …` launcher run by a test (see startLauncher). */
export interface Launcher {
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** SIGINT, then waits for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Runs `samosachaat <args>` (e.g. `start --with-prometheus`) from the repository with `env`
 * added, and resolves once it printed "Press Ctrl-C to stop everything".
 */
export async function startLauncher(args: string[], env: Record<string, string>, timeoutMs = 180_000): Promise<Launcher> {
  timeoutMs = scaled(timeoutMs);
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'apps/cli/src/main.ts', ...args], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), scaled(60_000));
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  const deadline = Date.now() + timeoutMs;
  while (!out.includes('Press Ctrl-C to stop everything')) {
    if (child.exitCode !== null) throw new Error(`samosachaat ${args.join(' ')} exited with ${child.exitCode} before it was ready:\n${out.slice(-4000)}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`samosachaat ${args.join(' ')} was not ready after ${timeoutMs} ms:\n${out.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    output: () => out,
    stop,
  };
}
