import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DoctorRegistry, diskSpaceCheck, logDirWritableCheck, type LogDirWritableCheckOptions, portsFreeCheck, type DoctorCheck } from '@samosachaat/service-kit';
import type { Database } from '@samosachaat/db';
import { answerCheck, type DoctorToken } from './answer-check.js';
import {
  configurationCheck,
  metricsValidCheck,
  modelLoadedCheck,
  prometheusTargetsCheck,
  servicesReadyCheck,
  traceErrorRateCheck,
} from './platform-checks.js';
import { configuredServicePorts, portVariableProblems, serviceTargets } from './service-ports.js';

/** Where data lives when `DATA_DIR` is unset, relative to the working directory. */
export const DEFAULT_DATA_DIR = './.data';

type Env = Readonly<Record<string, string | undefined>>;

/** Where auth's JWT key pair is read from. */
export interface JwtKeyPaths {
  privateKeyPath: string;
  publicKeyPath: string;
}

/**
 * What the doctor needs of auth: `@samosachaat/auth/doctor`, passed in by whoever builds the
 * registry (the CLI, web's console), so this package depends on no service (docs/development.md).
 */
export interface AuthDoctorParts<Keys> {
  /** The key files' names in DATA_DIR/keys. */
  PRIVATE_KEY_FILE: string;
  PUBLIC_KEY_FILE: string;
  /** The `jwt-keys` check. */
  jwtKeysDoctorCheck(paths: JwtKeyPaths): DoctorCheck;
  loadJwtKeys(paths: JwtKeyPaths): Promise<Keys>;
  /** Signs in a development user (created or updated in `db`). */
  mintDevelopmentToken(options: { db: Database; keys: Keys; email: string; name: string; ttlSeconds: number }): Promise<{ access_token: string }>;
}

/** The services as the doctor sees them: each one's configuration parser (its `./config`), and auth's keys. */
export interface DoctorServices<Keys = unknown> {
  configs: Readonly<Record<string, (env: Env) => unknown>>;
  auth: AuthDoctorParts<Keys>;
}

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

/** Database reachable, writable (in a rolled-back transaction) and migrations current. */
export function databaseCheck(env: Env, cwd: string): DoctorCheck {
  return {
    name: 'database',
    description: 'the database is reachable, writable and its migrations are current',
    run: async () => {
      // The database code (and PGlite) loads when the check runs, not with the service whose
      // console offers the doctor.
      const { explainDatabaseFailure, migrationLabel } = await import('@samosachaat/db');
      const { openPlatformDatabase } = await import('./platform-database.js');
      let db;
      try {
        db = await openPlatformDatabase({ env, cwd });
      } catch (err) {
        return { ok: false, detail: `cannot open the database: ${explainDatabaseFailure(err, undefined)}`, fix: 'check DATABASE_URL (server running, credentials, database exists), or DATA_DIR for the embedded database' };
      }
      try {
        await db.ping();
        await db
          .transaction(async (tx) => {
            await tx.query('CREATE TEMPORARY TABLE samosachaat_doctor_probe (x integer) ON COMMIT DROP', [], { operation: 'doctor.probe' });
            await tx.query('INSERT INTO samosachaat_doctor_probe (x) VALUES (1)', [], { operation: 'doctor.probe' });
            throw new RollbackProbe();
          })
          .catch((err: unknown) => {
            if (!(err instanceof RollbackProbe)) throw err;
          });
        const status = await db.migrationStatus();
        if (status.pending.length) {
          return {
            ok: false,
            detail: `${db.description}: ${status.pending.length} pending migration(s): ${status.pending.map(migrationLabel).join(', ')}`,
            fix: 'run `samosachaat migrate` (or start the services with MIGRATE_ON_START=true)',
          };
        }
        return { ok: true, detail: `${db.description}: reachable, writable, ${status.applied.length} migrations applied, none pending` };
      } catch (err) {
        return { ok: false, detail: explainDatabaseFailure(err, db.description), fix: 'check the database server and the permissions of the DATABASE_URL user (it must be able to write)' };
      } finally {
        await db.close();
      }
    },
  };
}

class RollbackProbe extends Error {}

/** Options of {@link buildDoctorRegistry}. */
export interface DoctorRegistryOptions {
  /**
   * Who runs the checks. `cli` (the default): a person at the machine where `npm start` runs,
   * so an unset LOG_DIR means DATA_DIR/logs, where `npm start` writes. `service`: a running
   * service (web's console), whose own LOG_DIR says whether it writes files at all.
   */
  runner?: 'cli' | 'service';
}

/**
 * Builds the registry `samosachaat doctor` runs: this machine (disk, log folder, ports), the
 * configuration, the JWT keys and the database, then the running services. The services are
 * looked for where `samosachaat start` puts them with the same variables (`*_PORT`, `*_URL`).
 */
export function buildDoctorRegistry<Keys>(env: Env, cwd: string, services: DoctorServices<Keys>, options: DoctorRegistryOptions = {}): DoctorRegistry {
  const { PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, jwtKeysDoctorCheck, loadJwtKeys, mintDevelopmentToken } = services.auth;
  const dataDir = resolve(cwd, env['DATA_DIR'] || DEFAULT_DATA_DIR);
  const keyDir = resolve(dataDir, 'keys');
  // A *_PORT that is not a number is the configuration check's finding; the others still run.
  const usable = { ...env, ...Object.fromEntries(portVariableProblems(env).map((p) => [p.variable, undefined])) };
  const targets = serviceTargets(usable);
  const keyPaths = {
    privateKeyPath: env['JWT_PRIVATE_KEY_PATH']?.trim() || resolve(keyDir, PRIVATE_KEY_FILE),
    publicKeyPath: env['JWT_PUBLIC_KEY_PATH']?.trim() || resolve(keyDir, PUBLIC_KEY_FILE),
  };
  // The answer check signs in as a development user with the platform's own key; where the
  // doctor has no private key (the console's doctor in a cluster), it is skipped, not failed.
  const signIn = async (): Promise<DoctorToken> => {
    if (!existsSync(keyPaths.privateKeyPath)) return { skipped: `no JWT private key at ${keyPaths.privateKeyPath} (JWT_PRIVATE_KEY_PATH) to sign in as doctor@samosachaat.local` };
    const keys = await loadJwtKeys(keyPaths);
    const { openPlatformDatabase } = await import('./platform-database.js');
    const db = await openPlatformDatabase({ env, cwd });
    try {
      const minted = await mintDevelopmentToken({ db, keys, email: 'doctor@samosachaat.local', name: 'samosaChaat doctor', ttlSeconds: 300 });
      return { token: minted.access_token };
    } finally {
      await db.close();
    }
  };
  return new DoctorRegistry()
    .register(configurationCheck(services.configs as Record<string, (e: Env) => unknown>, { ...env, DATA_DIR: dataDir }))
    .register(
      jwtKeysDoctorCheck({
        privateKeyPath: env['JWT_PRIVATE_KEY_PATH']?.trim() || resolve(keyDir, PRIVATE_KEY_FILE),
        publicKeyPath: env['JWT_PUBLIC_KEY_PATH']?.trim() || resolve(keyDir, PUBLIC_KEY_FILE),
      }),
    )
    .register(databaseCheck(env, cwd))
    .register(servicesReadyCheck(targets))
    .register(modelLoadedCheck(targets.find((t) => t.name === 'inference')!))
    .register(answerCheck(targets.find((t) => t.name === 'chat-api')!, signIn))
    .register(portsFreeCheck({ ports: configuredServicePorts(env) }))
    .register(diskSpaceCheck({ path: nearestExistingDir(dataDir) }))
    .register(logDirWritableCheck(logDirOf(env, cwd, dataDir, options.runner ?? 'cli')))
    .register(metricsValidCheck(targets, env))
    .register(traceErrorRateCheck(targets, env))
    .register(prometheusTargetsCheck(env));
}

/** The log folder the platform writes to, and what chose it. */
function logDirOf(env: Env, cwd: string, dataDir: string, runner: 'cli' | 'service'): LogDirWritableCheckOptions {
  const set = env['LOG_DIR']?.trim();
  if (set) return { dir: resolve(cwd, set), source: 'LOG_DIR' };
  // `npm start` gives its services DATA_DIR/logs when LOG_DIR is unset (or empty).
  if (runner === 'cli') return { dir: join(dataDir, 'logs'), source: 'DATA_DIR/logs, where `npm start` writes while LOG_DIR is unset' };
  return { dir: undefined };
}
