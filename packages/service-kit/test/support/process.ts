import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/** A service running as a real child process, with its stdout log lines collected. */
export interface RunningService {
  child: ChildProcess;
  url: string;
  /** Every stdout line, parsed as JSON (a non-JSON line fails the test that reads it). */
  lines: Array<Record<string, unknown>>;
  raw: string[];
  stop(): Promise<void>;
}

/** Starts a TypeScript entry point with tsx and waits for its `service_listening` line. */
export function startService(entry: string, env: Record<string, string>, timeoutMs = 15_000): Promise<RunningService> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', entry], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const raw: string[] = [];
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${entry} did not start in ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code}: ${stderr}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      raw.push(line);
      const parsed = JSON.parse(line) as Record<string, unknown>;
      lines.push(parsed);
      if (parsed.message === 'service_listening') {
        clearTimeout(timer);
        resolve({
          child,
          url: `http://127.0.0.1:${String(parsed.port)}`,
          lines,
          raw,
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null) return done();
              const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
              child.removeAllListeners('exit');
              child.once('exit', () => {
                clearTimeout(kill);
                done();
              });
              child.kill('SIGTERM');
            }),
        });
      }
    });
  });
}
