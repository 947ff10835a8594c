import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** chat-api's main.ts running as a real process. */
export interface ChatProcess {
  child: ChildProcess;
  /** Every stdout line, parsed (a non-JSON line throws in the test that reads it). */
  lines: Array<Record<string, unknown>>;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Resolves with the `service_started` line, rejects if the process exits first. */
  started: Promise<Record<string, unknown>>;
  /** SIGKILL if still running (for `after`). */
  kill(): void;
}

/** Starts `src/main.ts` with exactly `env` (plus PATH and HOME). */
export function runMain(env: Record<string, string>, timeoutMs = 90_000): ChatProcess {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines: Array<Record<string, unknown>> = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`chat-api did not start in ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`chat-api exited with ${code}: ${stderr}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      lines.push(parsed);
      if (parsed.message === 'service_started') {
        clearTimeout(timer);
        resolve(parsed);
      }
    });
  });
  started.catch(() => undefined);
  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    started,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
