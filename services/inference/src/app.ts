import { type Observability } from '@samosachaat/observability';
import { httpServerOptions, servicePlugin } from '@samosachaat/service-kit';
import Fastify, { type FastifyInstance } from 'fastify';
import type { InferenceConfig } from './config.js';
import type { Engine } from './engines/engine.js';
import { registerGenerateRoute } from './routes/generate.js';
import { registerModelRoutes } from './routes/models.js';
import { openAiCompatRoutes } from './routes/openai-compat.js';
import { extendHealthRoute, registerStatsRoute } from './routes/status.js';
import { createRuntime, type InferenceRuntime } from './runtime.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The inference runtime: engine, worker pool, model manager, runner, stats. */
    inference: InferenceRuntime;
  }
}

/** What {@link buildApp} needs besides configuration. */
export interface AppDeps {
  obs: Observability;
  /** Replaces the engine ENGINE selects (tests). */
  engine?: Engine;
}

/**
 * Builds the inference service: the observability plugin, `/generate`, `/models`,
 * `/models/swap`, `/stats`, the internal OpenAI-compatible `/v1/*` when OPENAI_COMPAT_API=true,
 * readiness on the loaded model.
 * The start-up model begins loading when the app is ready; until then generations queue
 * and `/ready` answers 503. Closing drains in-flight streams, then unloads the model.
 */
export async function buildApp(config: InferenceConfig, deps: AppDeps): Promise<FastifyInstance> {
  const { obs } = deps;
  const app = Fastify({
    logger: false,
    bodyLimit: config.bodyLimitBytes,
    // Strict types: a string is never silently turned into a number (or the reverse).
    ajv: { customOptions: { coerceTypes: false, allowUnionTypes: true } },
    ...httpServerOptions(obs, config.serverTimeouts),
  });
  const runtime = createRuntime(config, obs, deps.engine);
  app.decorate('inference', runtime);
  extendHealthRoute(app, runtime);
  await app.register(servicePlugin, { obs, localMode: config.localMode, internalApiKey: config.internalApiKey });
  app.readiness.add('model', () => runtime.models.readinessCheck());
  // The upstream model server (ENGINE=openai) is watched, not a readiness gate: inference is
  // ready with its engine; an upstream outage shows in /health, the gauge and the doctor.
  const engine = runtime.engine;
  if (engine.probe) app.dependencies.add('upstream', () => engine.probe!());

  registerGenerateRoute(app, runtime);
  registerModelRoutes(app, runtime);
  registerStatsRoute(app, runtime);
  // Internal only, and off unless OPENAI_COMPAT_API=true: the internal key must never be an API
  // key handed to users; they use chat-api's /v1 with their own keys (README "Use the API").
  if (config.openAiCompatApi) await app.register(async (child) => openAiCompatRoutes(child, runtime));

  app.addHook('onReady', async () => {
    void runtime.models.loadInitial(runtime.initialModel);
  });
  app.addHook('preClose', async () => {
    runtime.runner.stopAccepting();
  });
  app.addHook('onClose', async () => {
    await runtime.models.close();
  });
  return app;
}
