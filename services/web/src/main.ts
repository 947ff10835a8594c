/**
 * web entry point: configuration, observability, the prebuilt UI bundles, the app on HOST:PORT, and a
 * graceful shutdown on SIGINT/SIGTERM that lets proxied streams finish.
 */
import { createObservability, type Observability } from '@samosachaat/observability';
import { ConfigError, observabilityConfigFromEnv, stopOnSignals } from '@samosachaat/service-kit';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { configFromEnv, type WebConfig } from './config.js';

let config: WebConfig;
let obs: Observability;
try {
  config = configFromEnv(process.env);
  obs = createObservability(observabilityConfigFromEnv('web', process.env));
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`web: configuration error: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

const log = obs.getLogger('main');
let app: FastifyInstance;
try {
  app = await buildApp(config, { obs });
} catch (err) {
  log.critical({ err }, 'start_failed');
  await obs.shutdown();
  process.exit(1);
}
try {
  await app.listen({ host: config.host, port: config.port });
} catch (err) {
  log.critical({ err, host: config.host, port: config.port }, 'listen_failed');
  await obs.shutdown();
  process.exit(1);
}
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : config.port;
log.info({ host: config.host, port, address: `http://${config.host}:${port}`, chat_api_url: config.chatApiUrl, auth_url: config.authUrl, ops_console: config.opsConsole }, 'service_started');

stopOnSignals({ obs, log, close: () => app.close() });
