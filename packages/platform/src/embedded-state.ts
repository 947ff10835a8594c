/**
 * While `samosachaat start` serves the embedded PGlite database, it records where in
 * `DATA_DIR/embedded-db.json`. Other commands (doctor, migrate, token) then connect through
 * that server instead of opening the PGlite folder a second time, which PGlite does not allow.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface EmbeddedState {
  url: string;
  pid: number;
}

const FILE = 'embedded-db.json';

export function writeEmbeddedState(dataDir: string, state: EmbeddedState): void {
  writeFileSync(join(dataDir, FILE), `${JSON.stringify(state)}\n`, { mode: 0o600 });
}

export function clearEmbeddedState(dataDir: string): void {
  rmSync(join(dataDir, FILE), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running embedded server's URL, or undefined when none runs (a stale file is ignored). */
export function runningEmbeddedUrl(dataDir: string): string | undefined {
  let state: EmbeddedState;
  try {
    state = JSON.parse(readFileSync(join(dataDir, FILE), 'utf8')) as EmbeddedState;
  } catch {
    return undefined;
  }
  return typeof state.url === 'string' && Number.isInteger(state.pid) && alive(state.pid) ? state.url : undefined;
}
