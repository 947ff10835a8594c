import type { Database } from '@samosachaat/db';
import { type Observability } from '@samosachaat/observability';
import { httpServerOptions, servicePlugin } from '@samosachaat/service-kit';
import { Ajv } from 'ajv';
import Fastify, { type FastifyInstance } from 'fastify';
import { Agent, type Dispatcher } from 'undici';
import { AuthCache } from './auth/auth-cache.js';
import { createTokenValidator } from './auth/auth-client.js';
import { registerAuthGuard } from './auth/auth-guard.js';
import type { ChatConfig } from './config.js';
import { registerConversationRoutes } from './conversations/routes.js';
import { createChatMetrics } from './metrics.js';
import { HistoryCache } from './messages/history-cache.js';
import { InstanceLease } from './messages/answer-leases.js';
import { MessageWriter } from './messages/message-writer.js';
import { PartFlushClock } from './messages/part-flush-clock.js';
import { StopWatcher } from './messages/stop-watcher.js';
import { OpenStreams } from './messages/open-streams.js';
import { registerMessageRoutes } from './messages/routes.js';
import { StreamSlots } from './messages/stream-slots.js';
import { ModelCatalog } from './models/model-catalog.js';
import { registerModelRoutes } from './models/routes.js';
import { registerOpenAiRoutes } from './openai/routes.js';
import { ApiRateLimit } from './openai/rate-limit.js';
import { UsageRecorder } from './openai/usage-recorder.js';
import { registerUsageRoutes } from './openai/usage-routes.js';

/** What the chat-api is built from, besides its configuration. */
export interface ChatDeps {
  obs: Observability;
  /** Opened (and migrated) by the caller, closed by the caller after the app. */
  db: Database;
  /** The token cache; injectable so tests can inspect it or drive its clock. */
  authCache?: AuthCache;
  /** How long a connected client may read nothing before its stream is cut. Default 120 s. */
  clientStallTimeoutMs?: number;
  /** HTTP client for inference streams; default a keep-alive Agent closed with the app. */
  inferenceDispatcher?: Dispatcher;
  /** This instance's lease id (default a random UUID per process). */
  instanceId?: string;
}

const READINESS_PROBE_TIMEOUT_MS = 1500;
const DEFAULT_CLIENT_STALL_TIMEOUT_MS = 120_000;

/**
 * Builds the chat-api: the observability plugin, readiness checks (database, auth,
 * inference) and the `/api` routes behind the auth guard (`/api/health` excepted).
 */
export async function buildApp(config: ChatConfig, deps: ChatDeps): Promise<FastifyInstance> {
  const { obs, db } = deps;
  const openStreams = new OpenStreams();
  const metrics = createChatMetrics(obs.metrics, { bufferedBytes: () => openStreams.bufferedBytes() });
  // Room for a maximal message even if every character were JSON-escaped (\uXXXX).
  const bodyLimit = Math.max(1024 * 1024, config.maxMessageChars * 6 + 64 * 1024);
  const app = Fastify({ logger: false, bodyLimit, ...httpServerOptions(obs, config.serverTimeouts) });
  // Bodies are JSON and must already have the right types ({"title": 5} is a 400, not "5");
  // query strings are text by nature, so `?limit=20` is still read as the number 20.
  const strictBody = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: true, allErrors: false });
  const lenientQuery = new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: true, allErrors: false });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strictBody : lenientQuery).compile(schema));
  await app.register(servicePlugin, {
    obs,
    localMode: config.localMode,
    internalApiKey: config.internalApiKey,
    quietRoutes: ['/health', '/ready', '/metrics', '/api/health'],
  });

  const probe = (name: string, url: string) => async () => {
    const res = await obs.fetch(url, { signal: AbortSignal.timeout(READINESS_PROBE_TIMEOUT_MS) }, { peerService: name, spanName: `GET ${name} health` });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`${name} answered HTTP ${res.status} at ${url}`);
    return `${name} reachable`;
  };
  app.readiness.add('database', async () => {
    await db.ping();
    return db.description;
  });
  // Only the database gates /ready: the token cache serves through an auth outage, and
  // conversation lists and history need no inference. What lies behind is watched instead
  // (/health `dependencies`, the dependency_up gauge, the console, the doctor).
  app.dependencies.add('auth', probe('auth', `${config.authUrl}/health`));
  app.dependencies.add('inference', probe('inference', `${config.inferenceUrl}/health`));

  const ownDispatcher = deps.inferenceDispatcher ? undefined : new Agent({ connect: { timeout: 5000 }, keepAliveTimeout: 10_000 });
  const dispatcher = deps.inferenceDispatcher ?? (ownDispatcher as Agent);
  // The new message takes one place of the history window; the cache keeps the rest.
  const historyCache = new HistoryCache(config.historyCacheChars, config.maxConversationHistory - 1);
  // This instance's answers in flight, and its lease: their liveness for the other instances.
  const liveAnswers = new Set<string>();
  const lease = new InstanceLease({ db, obs, leaseMs: config.answerLeaseMs, liveAnswers, instanceId: deps.instanceId, onMarked: (n) => metrics.answersInterrupted.inc(n) });
  await lease.start();
  const stops = new StopWatcher(db, obs, config.answerStopPollMs);
  const writer = new MessageWriter(db, { instanceId: lease.id, onBatch: (operation, size) => metrics.writeBatchSize.observe({ operation }, size) });
  const running = new Set<Promise<unknown>>();
  const track = async <T>(work: Promise<T>): Promise<T> => {
    running.add(work);
    try {
      return await work;
    } finally {
      running.delete(work);
    }
  };
  // After the server stopped taking requests: answers whose client left are still being read
  // and persisted; wait for them before the caller closes the database.
  app.addHook('onClose', async () => {
    await Promise.allSettled([...running]);
    await lease.stop();
    await ownDispatcher?.close();
  });

  const authCache = deps.authCache ?? new AuthCache(config.authCacheSize, config.authCacheTtlSeconds * 1000);
  const validate = createTokenValidator({
    authUrl: config.authUrl,
    internalApiKey: config.internalApiKey,
    timeoutMs: config.authTimeoutMs,
    cache: authCache,
    obs,
    metrics,
  });

  // The per-user stream cap and /v1's request rate, held by every replica on this database.
  const slots = new StreamSlots({ db, obs, maxPerUser: config.maxStreamsPerUser, instanceId: lease.id, leaseMs: config.answerLeaseMs });
  // Solo (no other live instance) the cap is this process's own count: no statement per stream.
  // The lease's first renewal already counted the others, so a new replica next to a live one is
  // shared from its first send; an older one learns of a new one at its next renewal.
  slots.setOtherInstances(lease.otherInstances ?? 1);
  lease.onRenewed((others) => slots.setOtherInstances(others));
  slots.start();
  const rateLimit = new ApiRateLimit({ db, obs, perMinute: config.apiRateLimitPerMinute });
  rateLimit.start();
  app.addHook('onClose', async () => {
    slots.stop();
    rateLimit.stop();
  });
  const catalog = new ModelCatalog({ obs, metrics, inferenceUrl: config.inferenceUrl, internalApiKey: config.internalApiKey });
  const inference = {
    inferenceUrl: config.inferenceUrl,
    internalApiKey: config.internalApiKey,
    headersTimeoutMs: config.inferenceHeadersTimeoutMs,
    idleTimeoutMs: config.inferenceIdleTimeoutMs,
    dispatcher,
  };
  const usage = new UsageRecorder(db, config.apiUsageFlushMs, obs.getLogger('api-usage'));
  app.addHook('onReady', async () => usage.start());
  // After the answers in flight (registered before this hook) have ended and counted their usage.
  app.addHook('onClose', async () => usage.stop());

  await app.register(
    async (api) => {
      api.get('/health', async () => ({ status: 'ok', service: 'chat-api' }));
      await api.register(async (guarded) => {
        registerAuthGuard(guarded, validate, (token) => authCache.delete(token));
        registerConversationRoutes(guarded, db, historyCache, catalog);
        registerMessageRoutes(guarded, {
          db,
          metrics,
          slots,
          history: { maxMessages: config.maxConversationHistory, maxTokens: config.maxTokenBudget },
          maxMessageChars: config.maxMessageChars,
          models: catalog,
          track,
          answer: {
            db,
            obs,
            metrics,
            openStreams,
            clientStallTimeoutMs: deps.clientStallTimeoutMs ?? DEFAULT_CLIENT_STALL_TIMEOUT_MS,
            answerFlushChars: config.answerFlushChars,
            partFlushes: new PartFlushClock(config.answerFlushIntervalMs),
            liveAnswers,
            stops,
            historyCache,
            writer,
            saveDeadlineMs: config.answerSaveDeadlineMs,
            firstTokenTimeoutMs: config.answerFirstTokenTimeoutMs,
            inference,
          },
        });
        registerModelRoutes(guarded, { obs, metrics, inferenceUrl: config.inferenceUrl, internalApiKey: config.internalApiKey });
        registerUsageRoutes(guarded, usage);
      });
    },
    { prefix: '/api' },
  );
  await app.register(async (v1) => registerOpenAiRoutes(v1, { validate, catalog, metrics, slots, rateLimit, inference, usage, track }), { prefix: '/v1' });
  return app;
}
