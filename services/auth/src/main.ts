/**
 * The auth service process: configuration, observability, signing keys, database, then
 * listen. Any problem before listening prints one line that names what is wrong and exits 1.
 */
import { createObservability, type Observability } from '@samosachaat/observability';
import { ConfigError, observabilityConfigFromEnv, stopOnSignals } from '@samosachaat/service-kit';
import { databaseConfigFromEnv, explainDatabaseFailure, migrationLabel, openDatabase } from '@samosachaat/db';
import { buildApp } from './app.js';
import { configFromEnv, OAUTH_PROVIDERS } from './config.js';
import { JwtKeyError } from './keys.js';
import { ensureJwtKeys } from './startup-keys.js';

const SHUTDOWN_TIMEOUT_MS = 15_000;

function fail(line: string): number {
  process.stderr.write(`auth: ${line}\n`);
  return 1;
}

async function run(): Promise<number> {
  let config;
  let obs: Observability;
  let dbConfig;
  try {
    config = configFromEnv(process.env);
    dbConfig = databaseConfigFromEnv(process.env);
    obs = createObservability(observabilityConfigFromEnv('auth', process.env));
  } catch (err) {
    if (err instanceof ConfigError) return fail(err.message);
    throw err;
  }
  const log = obs.getLogger('main');

  let keys;
  try {
    keys = await ensureJwtKeys(config, log);
  } catch (err) {
    await obs.shutdown();
    if (err instanceof JwtKeyError) return fail(`${err.message}. Fix: ${err.fix}`);
    throw err;
  }

  let db;
  try {
    db = await openDatabase({ url: dbConfig.url, dataDir: dbConfig.dataDir, preparedStatements: dbConfig.preparedStatements, obs });
  } catch (err) {
    log.error({ err }, 'database_open_failed');
    await obs.shutdown();
    return fail(explainDatabaseFailure(err, undefined));
  }
  try {
    if (dbConfig.migrateOnStart) {
      const applied = await db.migrate();
      log.info({ applied_count: applied.length, applied: applied.map(migrationLabel) }, 'migrations_applied');
    } else {
      await db.assertMigrated();
    }
  } catch (err) {
    await db.close().catch(() => undefined);
    await obs.shutdown();
    return fail(explainDatabaseFailure(err, db.description));
  }

  const app = await buildApp(config, { obs, db, keys });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    log.error({ err, host: config.host, port: config.port }, 'listen_failed');
    await db.close().catch(() => undefined);
    await obs.shutdown();
    return fail(`cannot listen on ${config.host}:${config.port}: ${(err as Error).message}; set HOST/PORT or stop what holds the port`);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info(
    {
      host: config.host,
      port,
      url: `http://${config.host}:${port}`,
      local_mode: config.localMode,
      database: db.description,
      providers: OAUTH_PROVIDERS.filter((name) => config.providers[name]).join(',') || 'none',
      dev_login: config.devLogin,
      jwt_kid: keys.kid,
    },
    'service_started',
  );

  stopOnSignals({
    obs,
    log,
    timeoutMs: SHUTDOWN_TIMEOUT_MS,
    close: async () => {
      await app.close();
      await db.close();
    },
  });
  return 0;
}

run().then(
  (code) => {
    if (code !== 0) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`auth: failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
