/**
 * The platform's data folder and database as every command and the doctor find them, from the
 * environment and the working directory.
 */
import { resolve } from 'node:path';
import { databaseConfigFromEnv, openDatabase, type Database } from '@samosachaat/db';
import { runningEmbeddedUrl } from './embedded-state.js';

/** Where the platform is looked for: its environment, and the directory relative paths are resolved against. */
export interface PlatformPlace {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

/** The data folder: DATA_DIR (default ./.data) against the working directory. */
export function dataDirOf(io: PlatformPlace): string {
  return resolve(io.cwd, io.env['DATA_DIR']?.trim() || '.data');
}

/**
 * Opens the database the platform uses: DATABASE_URL; else the embedded server `npm start` is
 * running on DATA_DIR; else the PGlite folder itself (nothing else has it open).
 */
export async function openPlatformDatabase(io: PlatformPlace): Promise<Database> {
  const dataDir = dataDirOf(io);
  const config = databaseConfigFromEnv({ ...io.env, DATA_DIR: dataDir } as NodeJS.ProcessEnv);
  return openDatabase({ url: config.url ?? runningEmbeddedUrl(dataDir), dataDir: config.dataDir });
}
