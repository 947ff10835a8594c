/**
 * Starts the whole platform the way a newcomer does (`samosachaat start`), on free loopback
 * ports and a temporary DATA_DIR, and gives tests its URLs, its development token and its
 * output. Everything it starts is stopped by `stop()`. As `npm start` does (its prestart step),
 * the UI bundles are built first, so a fresh clone's web serves its pages.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildUi } from '../../services/web/src/serving/ui-build.js';
import { freePort } from './ports.js';
import { scaled } from './timeouts.js';

export { freePort };

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

let uiBuilt: Promise<string[]> | undefined;


export interface Platform {
  urls: { auth: string; chat: string; inference: string; web: string };
  token: string;
  conversationId: string;
  dataDir: string;
  pids: Record<string, number>;
  /** Everything the start command printed (service log lines and its own), so far. */
  output(): string;
  /** JSON log lines printed so far. */
  logLines(): Array<Record<string, unknown>>;
  /** The launcher process. */
  process: ChildProcessWithoutNullStreams;
  /** SIGINT, waits for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Resolves when the launcher exits by itself. */
  exited: Promise<number | null>;
}

/**
 * What to show when the start failed: the lines of the service the launcher names as the one
 * that exited (its own cause is easily pushed out of a plain tail by the others stopping), then
 * the tail of everything.
 */
export function startupFailureReport(out: string, tailChars = 3000): string {
  const name = /samosachaat start: (\S+) exited during start-up/.exec(out)?.[1];
  const tail = out.slice(-tailChars);
  if (!name) return tail;
  const own = out.split('\n').filter((line) => line.startsWith(`${name}:`) || line.includes(`"service":"${name}"`) || /^\s+at /.test(line));
  return `${name}'s own lines:\n${own.slice(-40).join('\n')}\n--- the launcher's last output:\n${tail}`;
}

export async function startPlatform(extraEnv: Record<string, string> = {}, timeoutMs = 120_000): Promise<Platform> {
  timeoutMs = scaled(timeoutMs);
  await (uiBuilt ??= buildUi(join(repoRoot, 'services/web/ui'), { dev: true }));
  const dataDir = await mkdtemp(join(tmpdir(), 'samosachaat-e2e-'));
  const [auth, chat, inference, web] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'apps/cli/src/main.ts', 'start'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      AUTH_PORT: String(auth),
      CHAT_API_PORT: String(chat),
      INFERENCE_PORT: String(inference),
      WEB_PORT: String(web),
      NO_COLOR: '1',
      ...extraEnv,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const cleanup = () => rm(dataDir, { recursive: true, force: true });

  const deadline = Date.now() + timeoutMs;
  while (!/Press Ctrl-C to stop everything/.test(out)) {
    if (child.exitCode !== null) {
      await cleanup();
      throw new Error(`samosachaat start exited with ${child.exitCode} before it was ready:\n${startupFailureReport(out)}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await cleanup();
      throw new Error(`samosachaat start was not ready after ${timeoutMs} ms:\n${out.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const token = /export TOKEN=(\S+)/.exec(out)?.[1];
  const conversationId = /\/api\/conversations\/([0-9a-f-]{36})\/messages/.exec(out)?.[1];
  if (!token || !conversationId) throw new Error(`no token or conversation in the banner:\n${out}`);
  const pids: Record<string, number> = {};
  for (const m of out.matchAll(/samosachaat: (\S+) ready on \S+ \(pid (\d+)\)/g)) pids[m[1] as string] = Number(m[2]);

  return {
    urls: { auth: `http://127.0.0.1:${auth}`, chat: `http://127.0.0.1:${chat}`, inference: `http://127.0.0.1:${inference}`, web: `http://127.0.0.1:${web}` },
    token,
    conversationId,
    dataDir,
    pids,
    output: () => out,
    logLines: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as Record<string, unknown>];
          } catch {
            return [];
          }
        }),
    process: child,
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), scaled(30_000));
      const code = await exited;
      clearTimeout(timer);
      await cleanup();
      return code;
    },
  };
}

/** One parsed SSE event (`data:` JSON), in arrival order, with when it arrived. */
export interface SseEvent {
  data: Record<string, unknown>;
  at: number;
}

/** Reads an SSE response body to its end (or until `stopAfter` returns true). */
export async function readSse(res: Response, stopAfter?: (events: SseEvent[]) => boolean): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = res.body!.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let idx: number;
    while ((idx = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, idx);
      buffer = buffer.slice(idx + 2);
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      if (data) events.push({ data: JSON.parse(data) as Record<string, unknown>, at: Date.now() });
    }
    if (stopAfter?.(events)) {
      await reader.cancel();
      break;
    }
  }
  return events;
}

/** Runs one `samosachaat` command as a real process and collects its output. */
export function runCli(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'apps/cli/src/main.ts', ...args], {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: '1', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
