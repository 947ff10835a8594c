/**
 * Starts a benchmark server as a child process and stops it again.
 *
 * The child's stdout and stderr go to a /dev/null file descriptor (log lines are really
 * written, then discarded); the port comes back over the IPC channel as
 * `{ type: 'ready', port, workUs }`, start-up failures as `{ type: 'error', message }`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

/** How to start one server. */
export interface ServerSpec {
  /** Arm name, for messages. */
  name: string;
  /** Node arguments: flags and the entry file. */
  args: string[];
  /** Environment of the child (replaces the parent's). */
  env: NodeJS.ProcessEnv;
  /** Working directory (module resolution of `--import tsx`). */
  cwd: string;
  /** Give up when the server is not listening after this long. Default 30 s. */
  startTimeoutMs?: number;
}

/** A listening server. */
export interface RunningServer {
  readonly pid: number;
  readonly port: number;
  /** Median µs of one `/json` workload call, measured by the server at start. */
  readonly workUs: number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /**
   * Sends `{ type, ...payload }` over IPC and waits for `{ type: '<type>:done' }` (rejects on
   * its `error`, or after `timeoutMs`). Used for on-demand CPU profiling.
   */
  command(type: string, payload?: Record<string, unknown>, timeoutMs?: number): Promise<void>;
}

function sendCommand(child: ChildProcess, type: string, payload: Record<string, unknown>, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (raw: unknown): void => {
      const msg = raw as { type?: string; error?: string };
      if (msg?.type !== `${type}:done`) return;
      cleanup();
      if (msg.error) reject(new Error(`${type}: ${msg.error}`));
      else resolve();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${type}: no answer after ${timeoutMs} ms`));
    }, timeoutMs);
    function cleanup(): void {
      clearTimeout(timer);
      child.off('message', onMessage);
    }
    child.on('message', onMessage);
    child.send({ type, ...payload });
  });
}

interface ReadyMessage {
  type: 'ready';
  port: number;
  workUs: number;
}
interface ErrorMessage {
  type: 'error';
  message: string;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills every server still running (the parent is exiting). */
function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  const exited = waitForExit(child);
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  return exited.finally(() => clearTimeout(timer));
}

/** Spawns `spec` and resolves when it reports its port; rejects (and kills it) otherwise. */
export function startServer(spec: ServerSpec): Promise<RunningServer> {
  if (!exitHookInstalled) {
    process.once('exit', killAll);
    exitHookInstalled = true;
  }
  const devNull = openSync('/dev/null', 'w');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, spec.args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', devNull, devNull, 'ipc'] });
  } finally {
    closeSync(devNull); // the child holds its own copy
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
  const timeoutMs = spec.startTimeoutMs ?? 30_000;

  return new Promise<RunningServer>((resolve, reject) => {
    const fail = (message: string): void => {
      cleanup();
      void stopChild(child, 1000).then(() => reject(new Error(`${spec.name}: ${message}`)));
    };
    const onMessage = (raw: unknown): void => {
      const msg = raw as ReadyMessage | ErrorMessage;
      if (msg?.type === 'error') return fail(`failed to start: ${msg.message}`);
      if (msg?.type !== 'ready' || !Number.isInteger(msg.port)) return;
      cleanup();
      resolve({
        pid: child.pid as number,
        port: msg.port,
        workUs: msg.workUs,
        stop: (graceMs = 3000) => stopChild(child, graceMs),
        command: (type, payload = {}, commandTimeoutMs = 30_000) => sendCommand(child, type, payload, commandTimeoutMs),
      });
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      cleanup();
      reject(new Error(`${spec.name}: exited before listening (code ${code}, signal ${signal})`));
    };
    const onError = (err: Error): void => fail(err.message);
    const timer = setTimeout(() => fail(`not listening after ${timeoutMs} ms`), timeoutMs);
    function cleanup(): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      child.off('error', onError);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

/**
 * Runs a script as a child process and resolves with the first IPC message it sends (its
 * result); stdout/stderr go to /dev/null unless `inheritOutput`. Killed after `timeoutMs`.
 */
export function runChildForResult<T>(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number; inheritOutput?: boolean }): Promise<T> {
  const devNull = openSync('/dev/null', 'w');
  const out = options.inheritOutput ? 'inherit' : devNull;
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', out, out, 'ipc'] });
  } finally {
    closeSync(devNull);
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
  return new Promise<T>((resolve, reject) => {
    let result: { ok: true; value: T } | { ok: false; error: string } | undefined;
    const timer = setTimeout(() => {
      result ??= { ok: false, error: `timed out after ${options.timeoutMs} ms` };
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('message', (msg: unknown) => {
      const m = msg as { type?: string; value?: T; message?: string };
      if (m.type === 'result') result ??= { ok: true, value: m.value as T };
      else if (m.type === 'error') result ??= { ok: false, error: m.message ?? 'unknown error' };
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (result?.ok) resolve(result.value);
      else reject(new Error(`${args.at(-1)}: ${result?.error ?? `exited (code ${code}, signal ${signal}) without a result`}`));
    });
  });
}
