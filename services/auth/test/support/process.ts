import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../../../test/support/ports.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
/** The service entry point, run with tsx as in development. */
export const MAIN = 'services/auth/src/main.ts';

export { freePort };

/** The auth service as a real child process, its stdout lines parsed. */
export interface AuthProcess {
  child: ChildProcess;
  url: string;
  lines: Array<Record<string, unknown>>;
  stderr(): string;
  /** SIGTERM, then the exit code (SIGKILL after 10 s). */
  stop(): Promise<number | null>;
}

function spawnMain(env: Record<string, string>): ChildProcess {
  // The parent's environment minus anything that would change the service's behaviour.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(DATABASE_URL|DATA_DIR|MIGRATE_ON_START|SAMOSACHAAT_LOCAL|JWT_|GITHUB_|GOOGLE_|ADMIN_EMAILS|PORT|HOST|LOG_)/.test(k)));
  return spawn(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN], { cwd: repoRoot, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Starts main.ts and resolves once it logs `service_started`. */
export function startAuthProcess(env: Record<string, string>, timeoutMs = 30_000): Promise<AuthProcess> {
  const child = spawnMain(env);
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`auth did not start in ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`auth exited with ${code} before starting: ${stderr}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      lines.push(parsed);
      if (parsed.message !== 'service_started') return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({
        child,
        url: `http://127.0.0.1:${String(parsed.port)}`,
        lines,
        stderr: () => stderr,
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done(child.exitCode);
            const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', (code) => {
              clearTimeout(kill);
              done(code);
            });
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

/** Runs main.ts expecting it to refuse to start; resolves with its exit code and output. */
export function runAuthToExit(env: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnMain(env);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`auth did not exit in ${timeoutMs} ms: ${stdout}${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
