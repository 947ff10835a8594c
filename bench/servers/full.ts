/**
 * Full-observability arm: the `@samosachaat/observability` plugin with its default
 * configuration — request context, one JSON access-log line per request to stdout (batched
 * synchronous writes), prom-client HTTP metrics plus runtime metrics, and a 100%-sampled SERVER
 * span per request into the in-memory ring buffer (TRACE_BUFFER_SIZE default) behind a
 * BatchSpanProcessor. Started by bench/run.ts as a child process with stdout on /dev/null.
 */
import Fastify from 'fastify';
import { createObservability } from '@samosachaat/observability';
import { observabilityConfigFromEnv, servicePlugin } from '@samosachaat/service-kit';
import { announceFailure, bindToParent, listenAndAnnounce, registerRoutes, repeatFromEnv } from './common.cjs';

async function main(): Promise<void> {
  bindToParent();
  const repeat = repeatFromEnv();
  const obs = createObservability(observabilityConfigFromEnv('bench', process.env));
  const app = Fastify({ logger: false });
  await app.register(servicePlugin, { obs, localMode: true });
  registerRoutes(app, repeat);
  await listenAndAnnounce(app, repeat);
}

main().catch(announceFailure);
