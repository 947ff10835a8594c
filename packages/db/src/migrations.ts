import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatVersion, MigrationError, migrationLabel } from './errors.js';
import type { MigrationInfo, MigrationStatus } from './types.js';

/** Absolute path of packages/db/migrations (the same from src/ and dist/). */
export const MIGRATIONS_DIR: string = fileURLToPath(new URL('../migrations', import.meta.url));

/** Session-level advisory lock key of `migrate()`: "samosach" in ASCII, shifted into 63 bits. */
export const MIGRATION_LOCK_KEY = '4157023356273602996';

/** A migration file: its info plus the SQL. */
export interface MigrationFile extends MigrationInfo {
  sql: string;
  file: string;
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9][a-z0-9_]*)\.sql$/;

/** sha256 (hex) of a migration's text; CRLF is normalised to LF so a Windows checkout matches. */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

/**
 * Reads `NNNN_name.sql` files from `dir`, sorted by version. Any other `.sql` file name, a
 * duplicate version or version 0000 is a MigrationError: a misnamed file would otherwise be
 * skipped silently.
 */
export function loadMigrations(dir: string = MIGRATIONS_DIR): MigrationFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new MigrationError(`cannot read the migrations folder ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const byVersion = new Map<number, MigrationFile>();
  for (const file of names) {
    if (!file.endsWith('.sql')) continue;
    const match = FILE_PATTERN.exec(file);
    if (!match) throw new MigrationError(`migration file ${file} is misnamed: use NNNN_name.sql (four digits, lower case name), e.g. 0002_add_index.sql`);
    const version = Number(match[1]);
    if (version === 0) throw new MigrationError(`migration file ${file}: versions start at 0001`);
    const existing = byVersion.get(version);
    if (existing) throw new MigrationError(`migration files ${existing.file} and ${file} share version ${formatVersion(version)}`);
    const sql = readFileSync(join(dir, file), 'utf8');
    byVersion.set(version, { version, name: match[2] as string, checksum: migrationChecksum(sql), sql, file });
  }
  return [...byVersion.values()].sort((a, b) => a.version - b.version);
}

/** A row of schema_migrations. */
export interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
  applied_at: Date;
}

/** Compares what the database recorded with the files. */
export function compareMigrations(files: MigrationFile[], appliedRows: AppliedRow[]): MigrationStatus {
  const fileByVersion = new Map(files.map((f) => [f.version, f]));
  const appliedVersions = new Set<number>();
  const applied: MigrationInfo[] = [];
  const unknown: MigrationInfo[] = [];
  const modified: MigrationInfo[] = [];
  for (const row of [...appliedRows].sort((a, b) => a.version - b.version)) {
    const info: MigrationInfo = { version: row.version, name: row.name, checksum: row.checksum, appliedAt: row.applied_at };
    applied.push(info);
    appliedVersions.add(row.version);
    const file = fileByVersion.get(row.version);
    if (!file) unknown.push(info);
    else if (file.checksum !== row.checksum) modified.push({ version: file.version, name: file.name, checksum: file.checksum, appliedAt: row.applied_at });
  }
  const pending = files.filter((f) => !appliedVersions.has(f.version)).map(({ version, name, checksum }) => ({ version, name, checksum }));
  return { applied, pending, unknown, modified };
}

/** The MigrationError `migrate()` refuses with, or undefined when the history is consistent. */
export function historyProblem(status: MigrationStatus): MigrationError | undefined {
  const problems: string[] = [];
  if (status.modified.length > 0) {
    const list = status.modified.map((m) => `${migrationLabel(m)}.sql`).join(', ');
    problems.push(
      `applied migration${status.modified.length === 1 ? '' : 's'} ${list} changed after being applied (checksum differs): ` +
        'migrations are forward-only, restore the file and put the change in a new NNNN_name.sql',
    );
  }
  if (status.unknown.length > 0) {
    const list = status.unknown.map((m) => migrationLabel(m)).join(', ');
    problems.push(`the database has migration${status.unknown.length === 1 ? '' : 's'} ${list} that this code does not know: it was migrated by a newer version`);
  }
  return problems.length > 0 ? new MigrationError(problems.join('; ')) : undefined;
}
