import type { FastifyInstance, RouteOptions } from 'fastify';
import type { InferenceRuntime } from '../runtime.js';

/**
 * Adds `ready`, `current_model` and `loading` (`{model, percent}` while a model loads) to the observability plugin's `GET /health` answer.
 * Must be installed before the plugin registers its routes: it wraps the handler as the
 * route is added (Fastify's onRoute), so liveness stays the plugin's.
 */
export function extendHealthRoute(app: FastifyInstance, runtime: InferenceRuntime): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    if (route.url !== '/health' || route.method !== 'GET') return;
    const base = route.handler;
    route.handler = async function (this: FastifyInstance, request, reply) {
      const answer = (await base.call(this, request, reply)) as Record<string, unknown>;
      return {
        ...answer,
        ready: runtime.models.ready && !app.readiness.isDraining,
        current_model: runtime.models.current ?? null,
        loading: runtime.models.loading ?? null,
      };
    };
  });
}

/** `GET /stats`: worker pool, queue, generations by outcome, tokens and throughput. */
export function registerStatsRoute(app: FastifyInstance, runtime: InferenceRuntime): void {
  app.get('/stats', async () => {
    const pool = runtime.pool.snapshot;
    return {
      engine: runtime.engine.id,
      current_model: runtime.models.current ?? null,
      workers: { total: pool.workers, busy: pool.busy },
      queue: { depth: pool.queueDepth, limit: pool.queueLimit },
      active_generations: runtime.runner.activeCount,
      ...runtime.stats.toJSON(),
    };
  });
}
