/**
 * Processes of the streaming benchmark (bench/streams.ts): the whole platform through
 * `samosachaat start` on free loopback ports, the load-generator child it talks to over IPC,
 * and what is read from them while they run (VmRSS, Prometheus gauges).
 *
 * Everything started here is stopped by its `stop()`, and SIGKILLed when the parent exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'undici';
import { freePort } from '../../test/support/platform.js';

const TSX = ['--conditions=source', '--import', 'tsx'];
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    // Last resort (watchdog, uncaught error): the services stop by themselves once the
    // launcher is gone (its parent guard), the load generator has nothing left to talk to.
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
    exitHookInstalled = true;
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
}

function exitedPromise(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** A running `samosachaat start`. */
export interface StreamsPlatform {
  urls: { auth: string; chat: string; inference: string };
  internalKey: string;
  /** Service pids, from the launcher's "ready … (pid N)" lines. */
  pids: Record<string, number>;
  /** The launcher's pid (it serves the embedded database). */
  launcherPid: number;
  /** The launcher's last output (bounded), for error messages. */
  tail(): string;
  /** SIGINT to the launcher (it stops chat-api, auth, inference, the database in turn); SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const TAIL_CHARS = 16_000;

/**
 * Starts `samosachaat start` with `extraEnv` on free ports and a temporary DATA_DIR, and
 * resolves once it printed its banner. Its output is kept only as a bounded tail (a long run
 * prints many log lines), and the temporary directory is removed on stop.
 */
export async function startStreamsPlatform(repoRoot: string, extraEnv: Record<string, string>, timeoutMs = 120_000, launcherInspectPort?: number): Promise<StreamsPlatform> {
  // A free port can be taken by another process between the probe and the launcher's bind.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(repoRoot, extraEnv, timeoutMs, launcherInspectPort);
    } catch (err) {
      if (attempt >= 3 || !/already in use/.test((err as Error).message)) throw err;
    }
  }
}

async function startOnce(repoRoot: string, extraEnv: Record<string, string>, timeoutMs: number, launcherInspectPort: number | undefined): Promise<StreamsPlatform> {
  const dataDir = await mkdtemp(join(tmpdir(), 'samosachaat-streams-'));
  const ports = { auth: await freePort(), chat: await freePort(), inference: await freePort(), web: await freePort() };
  const internalKey = `bench-streams-${Math.random().toString(36).slice(2)}-${'k'.repeat(32)}`;
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(NODE_OPTIONS|DATABASE_URL|OTEL_.*)$/.test(key)) env[key] = value;
  Object.assign(env, {
    DATA_DIR: dataDir,
    AUTH_PORT: String(ports.auth),
    CHAT_API_PORT: String(ports.chat),
    INFERENCE_PORT: String(ports.inference),
    WEB_PORT: String(ports.web),
    INTERNAL_API_KEY: internalKey,
    NO_COLOR: '1',
    ...extraEnv,
  });
  // The launcher's own inspector port (a command-line option wins over NODE_OPTIONS, which the
  // services share), so its CPU can be profiled beside chat-api's.
  const inspect = launcherInspectPort === undefined ? [] : [`--inspect-port=127.0.0.1:${launcherInspectPort}`];
  const child = spawn(process.execPath, [...inspect, ...TSX, 'apps/cli/src/main.ts', 'start'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let out = '';
  const onData = (c: Buffer): void => {
    out += c.toString();
    if (out.length > 2 * TAIL_CHARS) out = out.slice(-TAIL_CHARS);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let banner = '';
  const stop = async (graceMs = 40_000): Promise<void> => {
    const exited = exitedPromise(child);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    await rm(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const at = out.indexOf('Press Ctrl-C to stop everything');
    if (at !== -1) {
      banner = out;
      break;
    }
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      const why = child.exitCode !== null ? `exited with ${child.exitCode}` : `not ready after ${timeoutMs} ms`;
      await stop(1000);
      throw new Error(`samosachaat start ${why}:\n${out.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const pids: Record<string, number> = {};
  for (const m of banner.matchAll(/samosachaat: (\S+) ready on \S+ \(pid (\d+)\)/g)) pids[m[1] as string] = Number(m[2]);
  if (!pids['chat-api']) {
    await stop(1000);
    throw new Error(`no chat-api pid in the launcher's output:\n${banner.slice(-4000)}`);
  }
  return {
    urls: { auth: `http://127.0.0.1:${ports.auth}`, chat: `http://127.0.0.1:${ports.chat}`, inference: `http://127.0.0.1:${ports.inference}` },
    internalKey,
    pids,
    launcherPid: child.pid as number,
    tail: () => out.slice(-4000),
    stop,
  };
}

/** Resident set size of `pid` in KiB (`VmRSS` in /proc/<pid>/status). */
export function vmRssKb(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)\s+kB/m);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

/** `count` VmRSS readings `everyMs` apart (KiB). */
export async function sampleRssKb(pid: number, count = 5, everyMs = 200): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, everyMs));
    out.push(vmRssKb(pid));
  }
  return out;
}

/** What a process holds live (`process.memoryUsage()`, bytes). */
/**
 * Opens the inspector of a process started with `--inspect-port=127.0.0.1:<port>` (SIGUSR1; a
 * no-op when it is open already) and resolves with its DevTools WebSocket URL, or undefined
 * when it does not answer within 5 s.
 */
export async function openInspector(pid: number, port: number): Promise<string | undefined> {
  process.kill(pid, 'SIGUSR1');
  let url: string | undefined;
  for (const deadline = Date.now() + 5000; url === undefined && Date.now() < deadline; ) {
    try {
      const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(1000) })).json()) as { webSocketDebuggerUrl?: string }[];
      url = list[0]?.webSocketDebuggerUrl;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return url;
}

export interface LiveMemory {
  heapUsed: number;
  external: number;
}

/**
 * Forces full garbage collections in a Node.js process started with
 * `--inspect-port=127.0.0.1:<port>`: SIGUSR1 opens its inspector on that loopback port (a no-op
 * when it is open already), then the DevTools protocol's HeapProfiler.collectGarbage runs
 * `times` times. So an RSS reading right after holds what is live, not garbage awaiting a
 * collection. Resolves with what is live then (`process.memoryUsage()`, bytes), or undefined
 * (nothing forced) when the inspector does not answer in 5 s.
 */
export async function collectGarbage(pid: number, port: number, times = 2): Promise<LiveMemory | undefined> {
  const url = await openInspector(pid, port);
  if (url === undefined) return undefined;
  const ws = new WebSocket(url);
  try {
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`inspector of pid ${pid}: the WebSocket failed`));
    });
    const call = (id: number, method: string, params?: unknown) =>
      new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`inspector of pid ${pid}: no answer to ${method} in 30 s`)), 30_000);
        ws.onmessage = (event) => {
          const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
          if (message.id !== id) return;
          clearTimeout(timer);
          resolve(message.result);
        };
        ws.send(JSON.stringify({ id, method, params }));
      });
    for (let id = 1; id <= times; id++) await call(id, 'HeapProfiler.collectGarbage');
    const usage = (await call(times + 1, 'Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true })) as { result?: { value?: string } };
    const parsed = JSON.parse(usage.result?.value ?? '{}') as Partial<LiveMemory>;
    return { heapUsed: parsed.heapUsed ?? Number.NaN, external: parsed.external ?? Number.NaN };
  } finally {
    ws.close();
  }
}

/** The value of an unlabelled series in a service's Prometheus text (`GET {base}/metrics`). */
export async function gauge(base: string, name: string): Promise<number> {
  const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  const m = text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm'));
  if (!m) throw new Error(`${base}/metrics has no ${name}`);
  return Number(m[1]);
}

/** Waits until every named gauge reads 0 (streams of the previous step drained); false after `timeoutMs`. */
export async function waitIdle(checks: Array<{ base: string; name: string }>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const values = await Promise.all(checks.map((c) => gauge(c.base, c.name).catch(() => Number.NaN)));
    if (values.every((v) => v === 0)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/** The load-generator child (bench/lib/streams-load.ts): commands over IPC, one at a time. */
export interface LoadChild {
  readonly pid: number;
  /** Sends `{ type, payload }`, resolves with the `value` of `{ type: '<type>:done' }` (rejects on its `error` or after `timeoutMs`). */
  call<T>(type: string, payload: unknown, timeoutMs: number): Promise<T>;
  /** Calls `fn` with every message of `type` the child sends (besides answers); returns the unsubscribe. */
  on(type: string, fn: (message: Record<string, unknown>) => void): () => void;
  stop(): Promise<void>;
}

/** Spawns the load generator (its output to /dev/null unless `verbose`). */
export function startLoadChild(repoRoot: string, entry: string, verbose = false): LoadChild {
  const devNull = openSync('/dev/null', 'w');
  const out = verbose ? 'inherit' : devNull;
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...TSX, entry], { cwd: repoRoot, env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', out, out, 'ipc'] });
  } finally {
    closeSync(devNull);
  }
  track(child);
  return {
    pid: child.pid as number,
    call<T>(type: string, payload: unknown, timeoutMs: number): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const onMessage = (raw: unknown): void => {
          const msg = raw as { type?: string; value?: T; error?: string };
          if (msg?.type !== `${type}:done`) return;
          cleanup();
          if (msg.error) reject(new Error(`${type}: ${msg.error}`));
          else resolve(msg.value as T);
        };
        const onExit = (code: number | null, signal: string | null): void => {
          cleanup();
          reject(new Error(`${type}: the load generator exited (code ${code}, signal ${signal})`));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${type}: no answer after ${timeoutMs} ms`));
        }, timeoutMs);
        function cleanup(): void {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
        }
        child.on('message', onMessage);
        child.once('exit', onExit);
        child.send({ type, payload });
      });
    },
    on(type: string, fn: (message: Record<string, unknown>) => void): () => void {
      const listener = (raw: unknown): void => {
        const msg = raw as Record<string, unknown> | null;
        if (msg?.type === type) fn(msg);
      };
      child.on('message', listener);
      return () => child.off('message', listener);
    },
    async stop(): Promise<void> {
      const exited = exitedPromise(child);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
