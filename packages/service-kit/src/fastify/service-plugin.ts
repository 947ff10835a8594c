import { observabilityPlugin, type ObservabilityPluginOptions } from '@samosachaat/observability';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { errorsPlugin } from './errors-plugin.js';
import { gracefulClosePlugin } from './graceful-close.js';
import { jsonBodyPlugin } from './json-body.js';
import { opsRoutesPlugin } from './ops-routes.js';
import { readinessPlugin, type ReadinessPluginOptions } from './readiness-plugin.js';

/** Options of {@link servicePlugin}. */
export interface ServicePluginOptions extends ObservabilityPluginOptions, ReadinessPluginOptions {
  /**
   * Embedded local mode: `/debug/traces` is open. Otherwise it needs `internalApiKey`
   * in the `x-internal-api-key` header, and is closed when no key is configured.
   */
  localMode?: boolean;
  internalApiKey?: string;
  /** Serve /metrics, /health, /ready and /debug/traces. Default true. */
  opsRoutes?: boolean;
}

const plugin: FastifyPluginAsync<ServicePluginOptions> = async (app, options) => {
  await app.register(observabilityPlugin, { obs: options.obs, ...(options.quietRoutes ? { quietRoutes: options.quietRoutes } : {}) });
  await app.register(jsonBodyPlugin);
  await app.register(readinessPlugin, { readinessTimeoutMs: options.readinessTimeoutMs, dependencyProbeIntervalMs: options.dependencyProbeIntervalMs });
  await app.register(gracefulClosePlugin);
  await app.register(errorsPlugin);
  if (options.opsRoutes ?? true) await app.register(opsRoutesPlugin, { localMode: options.localMode ?? false, internalApiKey: options.internalApiKey });
};

/**
 * What every samosaChaat service registers first: the observability plugin (context, traces,
 * access log, HTTP metrics), then each concern of the kit as its own plugin: the JSON body
 * parser, readiness and dependencies, the graceful close, the error envelope and, encapsulated,
 * the ops routes. fastify-plugin: the hooks of the ones that need it cover the whole app.
 */
export const servicePlugin = fp(plugin, { fastify: '5.x', name: '@samosachaat/service-kit' });
