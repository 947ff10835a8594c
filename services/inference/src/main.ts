/**
 * The inference service process: reads configuration, listens, loads the start-up model,
 * and on SIGINT/SIGTERM drains in-flight streams (bounded by SHUTDOWN_TIMEOUT_MS, after
 * which running generations end with an error event), then exits 0.
 */
import { createObservability } from '@samosachaat/observability';
import { ConfigError, observabilityConfigFromEnv } from '@samosachaat/service-kit';
import { buildApp } from './app.js';
import { configFromEnv } from './config.js';

let config;
let obsConfig;
try {
  config = configFromEnv(process.env);
  obsConfig = observabilityConfigFromEnv('inference', process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`inference: configuration error: ${err.message}\n`);
  process.exit(1);
}

const obs = createObservability(obsConfig);
const log = obs.getLogger('main');
const app = await buildApp(config, { obs });

try {
  await app.listen({ host: config.host, port: config.port });
} catch (err) {
  log.critical({ err, host: config.host, port: config.port }, 'service_start_failed');
  await obs.shutdown();
  process.exit(1);
}
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : config.port;
log.info({ host: config.host, port, address: `http://${config.host}:${port}`, engine: config.engine, workers: config.workers, queue_limit: config.queueLimit }, 'service_started');

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) {
    // A second signal: stop waiting for streams.
    app.inference.runner.abortAll();
    return;
  }
  stopping = true;
  const cfg = app.inference.config;
  log.info({ signal, active_generations: app.inference.runner.activeCount }, 'service_stopping');
  const timer = setTimeout(() => {
    log.warning({ active_generations: app.inference.runner.activeCount, shutdown_timeout_ms: cfg.shutdownTimeoutMs }, 'shutdown_timeout');
    app.inference.runner.abortAll();
  }, cfg.shutdownTimeoutMs);
  try {
    await app.close();
  } catch (err) {
    log.error({ err }, 'shutdown_failed');
  }
  clearTimeout(timer);
  log.info('service_stopped');
  await obs.shutdown();
  process.exit(0);
}

process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
