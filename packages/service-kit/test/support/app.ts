import Fastify, { type FastifyInstance } from 'fastify';
import { createObservability, type Observability } from '@samosachaat/observability';
import { observabilityConfigFromEnv, servicePlugin, type ServicePluginOptions } from '../../src/index.js';
import { LogCapture } from '../../../observability/test/support/log-capture.js';

/** A Fastify app with the observability plugin and a captured log. */
export interface TestApp {
  app: FastifyInstance;
  obs: Observability;
  logs: LogCapture;
  close(): Promise<void>;
}

/** Builds a test app; `routes` adds the routes under test before `ready()`. */
export async function buildTestApp(
  routes: (app: FastifyInstance) => void | Promise<void>,
  options: { env?: Record<string, string>; plugin?: Partial<ServicePluginOptions>; service?: string; runtimeMetrics?: boolean } = {},
): Promise<TestApp> {
  const logs = new LogCapture();
  const obs = createObservability(observabilityConfigFromEnv(options.service ?? 'test-svc', { LOG_LEVEL: 'debug', ...options.env }), {
    logDestination: logs,
    registerGlobalTracer: false,
    runtimeMetrics: options.runtimeMetrics ?? false,
  });
  const app = Fastify({ logger: false });
  await app.register(servicePlugin, { obs, localMode: true, ...options.plugin });
  await routes(app);
  await app.ready();
  return {
    app,
    obs,
    logs,
    close: async () => {
      await app.close();
      await obs.shutdown();
    },
  };
}
