import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { testKey } from './in-process.js';
import { scaled } from '../../../../test/support/timeouts.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const MAIN = 'services/inference/src/main.ts';

/** The inference service running as a real child process. */
export interface RunningInference {
  child: ChildProcess;
  url: string;
  key: string;
  /** Every stdout line, parsed. */
  lines: Array<Record<string, unknown>>;
  /** Every stdout line as written. */
  raw: string[];
  /** Resolves with the exit code once the process has exited and its output is read. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * Starts `src/main.ts` with tsx on an ephemeral loopback port (PORT=0) and resolves once
 * it logs `service_started`, whose `port` field gives the address. Env defaults keep the
 * demo engine fast; the key is generated per run.
 */
export function startInference(env: Record<string, string> = {}, timeoutMs = 20_000): Promise<RunningInference> {
  const key = env.INTERNAL_API_KEY ?? testKey();
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN], {
    cwd: repoRoot,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', SAMOSACHAAT_LOCAL: 'true', DEMO_LOAD_MS: '0', ...env, INTERNAL_API_KEY: key },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const raw: string[] = [];
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  // 'close', not 'exit': every stdout line has been read by then.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`inference did not start in ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`inference exited with ${code} before starting: ${stderr}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      raw.push(line);
      const parsed = JSON.parse(line) as Record<string, unknown>;
      lines.push(parsed);
      if (parsed.message !== 'service_started') return;
      clearTimeout(timer);
      resolve({
        child,
        url: `http://127.0.0.1:${String(parsed.port)}`,
        key,
        lines,
        raw,
        exited,
        stop: async () => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
          child.kill('SIGTERM');
          await exited;
          clearTimeout(kill);
        },
      });
    });
  });
}

/** Polls until `check` returns a truthy value or the deadline passes. */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + scaled(timeoutMs);
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until the service reports ready (its model is loaded). */
export async function waitReady(url: string, timeoutMs = 10_000): Promise<void> {
  await eventually(async () => (await fetch(`${url}/ready`)).status === 200, timeoutMs);
}
