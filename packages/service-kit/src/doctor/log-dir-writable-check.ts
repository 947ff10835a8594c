import { randomBytes } from 'node:crypto';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { DoctorCheck } from './types.js';

/** Options for {@link logDirWritableCheck}. */
export interface LogDirWritableCheckOptions {
  /** The log directory (normally `LOG_DIR`); empty or undefined means file logging is off. */
  dir: string | undefined;
  /**
   * Where `dir` comes from when it is not `LOG_DIR` itself, shown with the verdict: e.g.
   * the launcher's default folder when LOG_DIR is unset.
   */
  source?: string;
}

/**
 * Creates `dir` and its missing parents one level at a time. Not `mkdir({ recursive: true })`:
 * on procfs (`LOG_DIR=/proc/x`) and similar, Node's recursive mkdir spins forever in native
 * code at 100% CPU and keeps the process from exiting; single-level mkdir fails promptly.
 */
async function makeDirectories(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let current = dir; ; current = dirname(current)) {
    try {
      if ((await stat(current)).isDirectory()) break;
      throw Object.assign(new Error(`${current} exists and is not a directory`), { code: 'ENOTDIR' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(current) === current) throw error;
      missing.push(current);
    }
  }
  for (const path of missing.reverse()) {
    try {
      await mkdir(path);
    } catch (error) {
      // Someone else (a starting service) may have created it meanwhile; that is fine.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !(await stat(path)).isDirectory()) throw error;
    }
  }
}

/**
 * Checks (`log-dir-writable`) that the log directory exists or can be created and accepts
 * a durable write. It really writes and fsyncs a probe file because permission bits alone
 * miss read-only mounts, full disks and SELinux/AppArmor denials.
 */
export function logDirWritableCheck(options: LogDirWritableCheckOptions): DoctorCheck {
  const raw = options.dir?.trim() ?? '';
  const from = options.source && options.source !== 'LOG_DIR' ? ` (${options.source})` : '';
  return {
    name: 'log-dir-writable',
    description: 'the log directory (LOG_DIR) can be created and written to',
    async run() {
      if (raw === '') {
        return { ok: true, skipped: true, detail: 'file logging off (LOG_DIR unset); logs go to stdout only' };
      }
      const dir = resolve(raw);
      // Unique per run so two doctors (or a doctor and a service) never fight over one file.
      const probe = join(dir, `.doctor-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
      let step = 'create the directory';
      try {
        await makeDirectories(dir);
        step = 'create a file in it';
        const handle = await open(probe, 'wx');
        try {
          step = 'write to a file in it';
          await handle.writeFile('samosaChaat doctor probe\n');
          step = 'fsync a file in it';
          await handle.sync();
        } finally {
          // Cleanup must not replace the error that says what actually failed.
          await handle.close().catch(() => undefined);
          await rm(probe, { force: true }).catch(() => undefined);
        }
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'error';
        return {
          ok: false,
          detail: `cannot ${step} at ${dir}${from} (${code}: ${(error as Error).message})`,
          fix:
            `make ${dir} a directory this user (uid ${process.getuid?.() ?? '?'}) can write to ` +
            `(e.g. \`mkdir -p ${dir} && chown $(id -u) ${dir}\`), set LOG_DIR to a writable directory, ` +
            'or unset LOG_DIR to log to stdout only',
        };
      }
      return { ok: true, detail: `${dir} is writable${from}` };
    },
  };
}
