/**
 * The `migrate`, `keys` and `token` commands. Each takes the CLI's io (streams, env, cwd),
 * parses its own options strictly (an unknown option is a usage error, exit 2) and resolves
 * with the exit status.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { databaseConfigFromEnv, loadMigrations, migrationLabel, pgliteDir, type Database } from '@samosachaat/db';
import { checkDevelopmentUser, JwtKeyError, loadJwtKeys, mintDevelopmentToken, parseAdminEmails as adminEmailsOf, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, writeJwtKeyPair, type JwtKeyPaths } from '@samosachaat/auth';
import { runningEmbeddedUrl } from '@samosachaat/platform/embedded-state';
import { dataDirOf, openPlatformDatabase } from '@samosachaat/platform/platform-database';
import { CliError, EXIT_FAILED, EXIT_USAGE, explainFailure } from './errors.js';
import type { CliIo } from './main.js';

export { EXIT_USAGE };

function options<const T extends NonNullable<ParseArgsConfig['options']>>(io: CliIo, command: string, args: readonly string[], spec: T) {
  try {
    return parseArgs({ args: [...args], options: spec, strict: true as const, allowPositionals: false as const }).values;
  } catch (err) {
    io.stderr.write(`samosachaat ${command}: ${(err as Error).message}\nrun \`samosachaat --help\` for the options\n`);
    return undefined;
  }
}

/** Runs `fn` on the platform's database; a database that cannot be used is a {@link CliError} naming the variable. */
async function withDatabase<T>(io: CliIo, fn: (db: Database) => Promise<T>): Promise<T> {
  let db: Database;
  try {
    db = await openPlatformDatabase(io);
  } catch (err) {
    throw asCliError(err, undefined);
  }
  try {
    return await fn(db);
  } catch (err) {
    throw asCliError(err, db.description);
  } finally {
    await db.close();
  }
}

function asCliError(err: unknown, database: string | undefined): unknown {
  const explained = explainFailure(err, database);
  return explained ? new CliError(explained.line, explained.exitCode) : err;
}

/**
 * The embedded PGlite folder `migrate --status` would open, when it does not exist yet (no
 * DATABASE_URL, no running embedded server): then every migration is pending, and creating a
 * database (several seconds of initdb) just to say so would be a side effect of a read.
 */
function absentEmbeddedFolder(io: Pick<CliIo, 'env' | 'cwd'>): string | undefined {
  const dataDir = dataDirOf(io);
  const config = databaseConfigFromEnv({ ...io.env, DATA_DIR: dataDir } as NodeJS.ProcessEnv);
  if (config.url ?? runningEmbeddedUrl(dataDir)) return undefined;
  const folder = pgliteDir(config.dataDir);
  return existsSync(join(folder, 'PG_VERSION')) ? undefined : folder;
}

interface StatusLines {
  applied: readonly { version: number; name: string; appliedAt?: Date | null }[];
  pending: readonly { version: number; name: string }[];
}

function writeStatus(io: CliIo, description: string, status: StatusLines): void {
  io.stdout.write(`database: ${description}\n`);
  for (const m of status.applied) io.stdout.write(`  applied  ${migrationLabel(m)}  ${m.appliedAt?.toISOString() ?? ''}\n`);
  for (const m of status.pending) io.stdout.write(`  pending  ${migrationLabel(m)}\n`);
  io.stdout.write(status.pending.length ? `${status.pending.length} pending: run \`samosachaat migrate\`\n` : 'up to date\n');
}

/** `samosachaat migrate [--status]`: applies pending migrations, or lists applied and pending ones. */
export async function migrateCommand(args: readonly string[], io: CliIo): Promise<number> {
  const values = options(io, 'migrate', args, { status: { type: 'boolean', default: false } });
  if (!values) return EXIT_USAGE;
  const absent = values.status ? absentEmbeddedFolder(io) : undefined;
  if (absent) {
    writeStatus(io, `pglite:${absent} (not created yet)`, { applied: [], pending: loadMigrations() });
    return 0;
  }
  return withDatabase(io, async (db) => {
    if (values.status) {
      writeStatus(io, db.description, await db.migrationStatus());
      return 0;
    }
    const applied = await db.migrate();
    io.stdout.write(`database: ${db.description}\n`);
    if (applied.length === 0) io.stdout.write('up to date: no pending migrations\n');
    for (const m of applied) io.stdout.write(`  applied  ${migrationLabel(m)}\n`);
    return 0;
  });
}

/**
 * The key pair's paths: JWT_PRIVATE_KEY_PATH and JWT_PUBLIC_KEY_PATH when set (what auth
 * reads), else DATA_DIR/keys; `--dir` puts both files in that folder instead.
 */
function keyPaths(io: Pick<CliIo, 'env' | 'cwd'>, dir?: string): JwtKeyPaths {
  const folder = dir ? resolve(io.cwd, dir) : resolve(dataDirOf(io), 'keys');
  const fromEnv = (variable: string) => (dir ? undefined : io.env[variable]?.trim() || undefined);
  return {
    privateKeyPath: resolve(io.cwd, fromEnv('JWT_PRIVATE_KEY_PATH') ?? join(folder, PRIVATE_KEY_FILE)),
    publicKeyPath: resolve(io.cwd, fromEnv('JWT_PUBLIC_KEY_PATH') ?? join(folder, PUBLIC_KEY_FILE)),
  };
}

/** `samosachaat keys [--dir D] [--force]`: writes a new RS256 key pair with mode 0600. */
export async function keysCommand(args: readonly string[], io: CliIo): Promise<number> {
  const values = options(io, 'keys', args, { dir: { type: 'string' }, force: { type: 'boolean', default: false } });
  if (!values) return EXIT_USAGE;
  const paths = keyPaths(io, values.dir);
  try {
    await writeJwtKeyPair(paths, { force: values.force });
  } catch (err) {
    if (err instanceof JwtKeyError && err.problem === 'exists') {
      throw new CliError(`${err.message}; add --force to replace the pair (everyone signed in will have to sign in again)`);
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string') throw new CliError(`cannot write the key pair (${code}: ${(err as Error).message}): choose a folder this user can write with --dir, or set DATA_DIR`, EXIT_FAILED);
    throw err;
  }
  io.stdout.write(`wrote a new RS256 key pair (mode 0600):\n  JWT_PRIVATE_KEY_PATH=${paths.privateKeyPath}\n  JWT_PUBLIC_KEY_PATH=${paths.publicKeyPath}\n`);
  return 0;
}

/** `samosachaat token --email E [--name N]`: prints an access token for a development user. */
export async function tokenCommand(args: readonly string[], io: CliIo): Promise<number> {
  const values = options(io, 'token', args, { email: { type: 'string' }, name: { type: 'string' } });
  if (!values) return EXIT_USAGE;
  if (!values.email) throw new CliError('--email is required (e.g. --email you@example.com)');
  // What was typed is checked first: a typo is reported before missing keys or a database.
  const user = checkDevelopmentUser(values.email, values.name);
  let adminEmails: ReadonlySet<string>;
  try {
    adminEmails = adminEmailsOf(io.env['ADMIN_EMAILS']);
  } catch (err) {
    throw new CliError(`ADMIN_EMAILS: ${(err as Error).message}`);
  }
  const keys = await loadJwtKeys(keyPaths(io));
  return withDatabase(io, async (db) => {
    // An unmigrated database would fail inside the insert with "relation does not exist".
    await db.assertMigrated();
    const minted = await mintDevelopmentToken({ db, keys, email: user.email, name: user.name ?? undefined, adminEmails });
    io.stdout.write(`${minted.access_token}\n`);
    return 0;
  });
}
