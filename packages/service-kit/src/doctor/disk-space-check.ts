import { statfs } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { DoctorCheck } from './types.js';

/** One gibibyte; the default free-space floor. */
export const GIB = 1024 ** 3;

/** Options for {@link diskSpaceCheck}. */
export interface DiskSpaceCheckOptions {
  /** Any existing path on the filesystem to measure (normally the data directory). */
  path: string;
  /** Fail below this many bytes available to this user; defaults to 1 GiB. */
  minFreeBytes?: number;
}

/**
 * Formats a byte count with binary units (KiB, MiB, GiB...), one decimal above bytes —
 * the units `df -h` users expect.
 */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * Checks (`disk-space`) that the filesystem holding `path` has at least `minFreeBytes`
 * available. Databases and log files fail in confusing ways on a full disk, so this is
 * worth saying plainly before anything starts.
 */
export function diskSpaceCheck(options: DiskSpaceCheckOptions): DoctorCheck {
  const minFreeBytes = options.minFreeBytes ?? GIB;
  const path = resolve(options.path);
  return {
    name: 'disk-space',
    description: `at least ${formatBytes(minFreeBytes)} free on the filesystem holding the data directory`,
    async run() {
      let free: number;
      try {
        const stats = await statfs(path);
        // bavail, not bfree: blocks reserved for root are not usable by the services.
        free = stats.bavail * stats.bsize;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'error';
        return {
          ok: false,
          detail: `cannot measure free space at ${path} (${code}: ${(error as Error).message})`,
          fix: `create ${path} or point DATA_DIR at an existing directory`,
        };
      }
      const detail = `${formatBytes(free)} free on the filesystem holding ${path} (need ${formatBytes(minFreeBytes)})`;
      if (free >= minFreeBytes) return { ok: true, detail };
      return {
        ok: false,
        detail,
        fix:
          `free at least ${formatBytes(minFreeBytes - free)} on that filesystem (old logs, Docker images, caches), ` +
          'or point DATA_DIR at a directory on a larger disk',
      };
    },
  };
}
