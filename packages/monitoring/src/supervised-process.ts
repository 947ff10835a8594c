/**
 * Runs an external binary (Prometheus, Alertmanager, node_exporter) so that it never outlives
 * the Node.js process that started it, even when that process is killed with SIGKILL.
 *
 * Linux offers no portable "die with my parent" switch from Node.js, so each binary runs under
 * a small POSIX shell wrapper: the launcher holds the wrapper's stdin open, and when it closes
 * (a clean stop, or the launcher dying however it dies) the wrapper sends SIGTERM to the binary.
 * The binary's output goes to a log file, so a failure can quote it without flooding a terminal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, openSync, closeSync, readFileSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join } from 'node:path';

/** A binary the monitoring stack needs is not installed; the message names the Debian package. */
export class MissingBinaryError extends Error {
  override name = 'MissingBinaryError';
  constructor(
    readonly binary: string,
    readonly debianPackage: string,
  ) {
    super(`${binary} is not installed: install it with \`apt-get install ${debianPackage}\` (Debian/Ubuntu package ${debianPackage})`);
  }
}

/**
 * Absolute path of an executable: `name` itself when it is a path, otherwise the first match on
 * `PATH`. Throws MissingBinaryError naming `debianPackage` when there is none.
 */
export function findBinary(name: string, debianPackage: string, pathVariable: string = process.env['PATH'] ?? ''): string {
  const candidates = isAbsolute(name) ? [name] : pathVariable.split(delimiter).filter(Boolean).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; try the next PATH entry.
    }
  }
  throw new MissingBinaryError(name, debianPackage);
}

// $1 is the binary, the rest its arguments. fd 3 keeps the launcher's pipe: a background job's
// stdin is /dev/null in a non-interactive shell, so the watcher reads the saved copy instead.
const WRAPPER = [
  'exec 3<&0',
  '"$@" </dev/null 3<&- &',
  'child=$!',
  "trap 'kill -TERM \"$child\" 2>/dev/null' TERM INT HUP",
  '( cat <&3 >/dev/null 2>&1; kill -TERM "$child" 2>/dev/null ) &',
  'exec 3<&-',
  // Wait first, unconditionally: a binary that exits at once may already be reaped by the shell,
  // so `kill -0` fails while `wait` still returns its status (POSIX keeps it for a known child).
  // `wait` returns early when a trapped signal arrives; keep waiting until the binary is gone.
  'wait "$child"',
  'status=$?',
  'while kill -0 "$child" 2>/dev/null; do wait "$child"; status=$?; done',
  'exit "$status"',
].join('\n');

/** A running supervised binary. */
export interface SupervisedProcess {
  readonly name: string;
  readonly pid: number;
  /** Where its stdout and stderr go. */
  readonly logFile: string;
  /** Resolves with the exit code (or the signal name) when it has exited. */
  readonly exited: Promise<number | string>;
  /** True once it has exited. */
  hasExited(): boolean;
  /** The last `maxChars` characters of its log, for error messages. */
  logTail(maxChars?: number): string;
  /** Asks it to stop (SIGTERM), SIGKILLs it after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface SuperviseOptions {
  /** A short name for messages (`prometheus`). */
  name: string;
  /** Absolute path of the binary. */
  command: string;
  args: readonly string[];
  /** File receiving stdout and stderr (its directory is created). */
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Starts `command` under the stop-with-the-launcher wrapper. */
export function supervise(options: SuperviseOptions): SupervisedProcess {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const logFd = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn('/bin/sh', ['-c', WRAPPER, 'supervise', options.command, ...options.args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', logFd, logFd],
      // Own process group: Ctrl-C reaches only the launcher, which stops the stack in order.
      detached: true,
    });
  } finally {
    closeSync(logFd);
  }
  // Writing is never needed; an EPIPE when the wrapper is gone must not crash the launcher.
  child.stdin!.on('error', () => undefined);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${options.name} (${options.command})`);
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const logTail = (maxChars = 2000): string => {
    try {
      const text = readFileSync(options.logFile, 'utf8');
      return text.slice(-maxChars);
    } catch {
      return '';
    }
  };
  return {
    name: options.name,
    pid,
    logFile: options.logFile,
    exited,
    hasExited: () => done,
    logTail,
    async stop(graceMs = 10_000) {
      if (done) return;
      // Closing stdin is the stop request; the wrapper turns it into SIGTERM for the binary.
      child.stdin!.end();
      const timer = setTimeout(() => {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
