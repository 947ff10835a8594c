/**
 * chat-api entry point: configuration, observability, database (migrated or checked),
 * the app on HOST:PORT, and a graceful shutdown on SIGINT/SIGTERM that lets streaming
 * answers finish and be persisted before the database closes.
 */
import { explainDatabaseFailure, migrationLabel, openDatabase, PendingMigrationsError, type Database } from '@samosachaat/db';
import { createObservability, type Observability } from '@samosachaat/observability';
import { ConfigError, observabilityConfigFromEnv, stopOnSignals } from '@samosachaat/service-kit';
import { buildApp } from './app.js';
import { configFromEnv, type ChatConfig } from './config.js';

let config: ChatConfig;
let obs: Observability;
try {
  config = configFromEnv(process.env);
  obs = createObservability(observabilityConfigFromEnv('chat-api', process.env));
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`chat-api: configuration error: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

const log = obs.getLogger('main');
let db: Database | undefined;
try {
  db = await openDatabase({ ...config.database, obs });
  if (config.database.migrateOnStart) {
    const applied = await db.migrate();
    log.info({ applied: applied.map(migrationLabel), database: db.description }, 'migrations_applied');
  } else {
    await db.assertMigrated();
  }
} catch (err) {
  if (!(err instanceof PendingMigrationsError)) log.critical({ err }, 'database_unavailable');
  // The log line keeps the details; the terminal gets one line naming the variable and the fix.
  process.stderr.write(`chat-api: ${explainDatabaseFailure(err, db?.description)}\n`);
  await db?.close().catch(() => undefined);
  await obs.shutdown();
  process.exit(1);
}

const app = await buildApp(config, { obs, db });
try {
  await app.listen({ host: config.host, port: config.port });
} catch (err) {
  log.critical({ err, host: config.host, port: config.port }, 'listen_failed');
  await db.close();
  await obs.shutdown();
  process.exit(1);
}
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : config.port;
log.info({ host: config.host, port, address: `http://${config.host}:${port}`, database: db.description }, 'service_started');

stopOnSignals({
  obs,
  log,
  close: async () => {
    await app.close();
    await db.close();
  },
});
