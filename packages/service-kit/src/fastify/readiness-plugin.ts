import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { DependencyWatch } from './dependencies.js';
import { ReadinessRegistry } from './readiness.js';

/** Options of {@link readinessPlugin}. */
export interface ReadinessPluginOptions {
  /** Per-check readiness timeout. Default 2000 ms. */
  readinessTimeoutMs?: number;
  /** How often the dependencies behind the service are probed. Default: the config's DEPENDENCY_PROBE_INTERVAL_MS. */
  dependencyProbeIntervalMs?: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Readiness checks behind GET /ready: only what the service itself needs to serve. */
    readiness: ReadinessRegistry;
    /** What lies behind the service: probed in the background, shown in /health, never gating /ready. */
    dependencies: DependencyWatch;
  }
}

const plugin: FastifyPluginAsync<ReadinessPluginOptions> = async (app, options) => {
  const { obs } = app;
  const readiness = new ReadinessRegistry(options.readinessTimeoutMs);
  const dependencies = new DependencyWatch(options.readinessTimeoutMs, options.dependencyProbeIntervalMs ?? obs.config.dependencyProbeIntervalMs);
  app.decorate('readiness', readiness);
  app.decorate('dependencies', dependencies);
  obs.metrics.gauge<'dependency'>({
    name: 'dependency_up',
    help: 'Whether the last background probe of a dependency behind this service succeeded (1) or failed (0); absent before the first probe. Dependencies never gate /ready.',
    labelNames: ['dependency'],
    collect() {
      this.reset();
      for (const [name, state] of Object.entries(dependencies.snapshot())) if (state.ok !== null) this.set({ dependency: name }, state.ok ? 1 : 0);
    },
  });
  app.addHook('onReady', async () => dependencies.start());
  // From the start of a graceful close /ready answers 503 `draining`.
  app.addHook('preClose', (done) => {
    readiness.startDraining();
    done();
  });
  app.addHook('onClose', async () => dependencies.stop());
};

/**
 * `app.readiness` (what GET /ready runs) and `app.dependencies` (probed in the background,
 * shown in /health, exported as `dependency_up`). fastify-plugin: the decorators are the
 * whole app's.
 */
export const readinessPlugin = fp(plugin, { fastify: '5.x', name: '@samosachaat/service-kit/readiness', dependencies: ['@samosachaat/observability'] });
