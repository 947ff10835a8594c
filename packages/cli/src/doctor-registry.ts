import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  DoctorRegistry,
  diskSpaceCheck,
  logDirWritableCheck,
  portsFreeCheck,
  type PortSpec,
} from '@samosachaat/observability';

/** Default ports of the samosaChaat services, as the system spec assigns them. */
export const SERVICE_PORTS: readonly PortSpec[] = Object.freeze([
  { port: 3000, service: 'web' },
  { port: 8001, service: 'auth' },
  { port: 8002, service: 'chat-api' },
  { port: 8003, service: 'inference' },
]);

/** Where data lives when `SAMOSACHAAT_DATA_DIR` is unset, relative to the working directory. */
export const DEFAULT_DATA_DIR = './.data';

/**
 * Returns `path` if it exists, else its closest existing ancestor. Before the first start the
 * data directory does not exist yet, but the filesystem it will be created on is what counts.
 */
export function nearestExistingDir(path: string): string {
  let current = resolve(path);
  while (!existsSync(current)) {
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return current;
}

/**
 * Builds the registry `samosachaat doctor` runs: the checks that need no running service.
 * Services will add their own (database, JWT keys, readiness...) as they land.
 */
export function buildDoctorRegistry(env: Readonly<Record<string, string | undefined>>, cwd: string): DoctorRegistry {
  const dataDir = resolve(cwd, env['SAMOSACHAAT_DATA_DIR'] || DEFAULT_DATA_DIR);
  const logDir = env['LOG_DIR']?.trim() ? resolve(cwd, env['LOG_DIR']) : undefined;
  return new DoctorRegistry()
    .register(diskSpaceCheck({ path: nearestExistingDir(dataDir) }))
    .register(logDirWritableCheck({ dir: logDir }))
    .register(portsFreeCheck({ ports: SERVICE_PORTS }));
}
