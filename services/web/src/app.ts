import { type Observability } from '@samosachaat/observability';
import { httpServerOptions, servicePlugin } from '@samosachaat/service-kit';
import Fastify, { type FastifyInstance } from 'fastify';
import { Agent, type Dispatcher } from 'undici';
import type { WebConfig } from './config.js';
import { WEB_ERRORS } from './errors.js';
import { createOpsAccess } from './ops/access.js';
import { platformDoctor, type DoctorRunner } from './ops/doctor.js';
import { MetricsScraper } from './ops/metrics-scraper.js';
import { registerOpsApi } from './ops/routes.js';
import { localTraceSource, remoteTraceSource } from './ops/trace-sources.js';
import { registerProxies } from './proxy/proxy.js';
import { registerUiRoutes } from './serving/routes.js';
import { loadUiAssets, type UiAssets } from './serving/ui-assets.js';

/** Outside local mode, web stops polling every service's /metrics once the console was not viewed for this long. */
const METRICS_IDLE_STOP_MS = 10 * 60_000;

/** What the web service is built from, besides its configuration. */
export interface WebDeps {
  obs: Observability;
  /** The pages and bundles; default read and bundled from `config.uiDir`. */
  ui?: UiAssets;
  /** HTTP client of the proxies; default a keep-alive Agent closed with the app. */
  dispatcher?: Dispatcher;
  /** The console's doctor; default the platform doctor with `env`. */
  doctor?: DoctorRunner;
  /** Environment the default doctor judges. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

const READINESS_PROBE_TIMEOUT_MS = 1500;

/**
 * Builds the web service: the observability plugin (service `web`), readiness (chat-api and
 * auth reachable), the pages and their prebuilt bundles (`npm run build:ui`), the `/api` and `/auth` proxies
 * and, unless OPS_CONSOLE=false, the operations console and its `/ops/api`.
 */
export async function buildApp(config: WebConfig, deps: WebDeps): Promise<FastifyInstance> {
  const { obs } = deps;
  const ui = deps.ui ?? (await loadUiAssets(config.uiDir));
  const app = Fastify({
    logger: false,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: typeof config.trustProxy === 'object' ? [...config.trustProxy] : config.trustProxy,
    ...httpServerOptions(obs, config.serverTimeouts),
  });
  await app.register(servicePlugin, {
    obs,
    localMode: config.localMode,
    internalApiKey: config.internalApiKey,
    quietRoutes: ['/health', '/ready', '/metrics', '/assets/chat.js', '/assets/ops.js', '/assets/styles.css'],
  });

  const probe = (name: string, url: string) => async () => {
    const res = await obs.fetch(url, { signal: AbortSignal.timeout(READINESS_PROBE_TIMEOUT_MS) }, { peerService: name, spanName: `GET ${name} health` });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`${name} answered HTTP ${res.status} at ${url}`);
    return `${name} reachable`;
  };
  // web serves the pages and the console whatever lies behind it (a failed API call is shown
  // in the page), so nothing gates its /ready; chat-api and auth are watched as dependencies.
  app.dependencies.add('chat-api', probe('chat-api', `${config.chatApiUrl}/health`));
  app.dependencies.add('auth', probe('auth', `${config.authUrl}/health`));

  const ownDispatcher = deps.dispatcher ? undefined : new Agent({ connect: { timeout: 5000 }, keepAliveTimeout: 10_000 });
  const dispatcher = deps.dispatcher ?? (ownDispatcher as Agent);
  app.addHook('onClose', async () => {
    await ownDispatcher?.close();
  });

  registerUiRoutes(app, ui, { opsConsole: config.opsConsole });
  await registerProxies(
    app,
    [
      { prefix: '/api', upstream: 'chat-api', baseUrl: config.chatApiUrl },
      { prefix: '/auth', upstream: 'auth', baseUrl: config.authUrl },
      // The OpenAI-compatible API for users (README "Use the API"), served by chat-api.
      { prefix: '/v1', upstream: 'chat-api', baseUrl: config.chatApiUrl, errorShape: 'openai' },
    ],
    { obs, dispatcher, headersTimeoutMs: config.proxyTimeoutMs, idleTimeoutMs: config.proxyIdleTimeoutMs, bodyLimitBytes: config.bodyLimitBytes },
  );

  if (!config.opsConsole) {
    app.all('/ops/api/*', async () => {
      throw WEB_ERRORS.WEB_OPS_DISABLED();
    });
    return app;
  }
  const remote = { obs, internalApiKey: config.internalApiKey };
  const scraper = new MetricsScraper({
    obs,
    intervalMs: config.metricsScrapeIntervalMs,
    idleStopMs: config.localMode ? undefined : METRICS_IDLE_STOP_MS,
    targets: [
      { service: 'web', read: async () => (await obs.metrics.render()).body },
      { service: 'chat-api', url: config.chatApiUrl },
      { service: 'auth', url: config.authUrl },
      { service: 'inference', url: config.inferenceUrl },
    ],
  });
  // Locally the console has its history ready when opened; elsewhere web polls the services
  // only while somebody looks at the console (the first view starts it, 10 idle minutes stop it).
  if (config.localMode) app.addHook('onReady', async () => scraper.start());
  app.addHook('onClose', async () => scraper.stop());
  const env = deps.env ?? process.env;
  await registerOpsApi(app, {
    access: createOpsAccess({ localMode: config.localMode, authUrl: config.authUrl, obs }),
    traceSources: [
      localTraceSource(obs),
      remoteTraceSource('chat-api', config.chatApiUrl, remote),
      remoteTraceSource('auth', config.authUrl, remote),
      remoteTraceSource('inference', config.inferenceUrl, remote),
    ],
    logDir: config.logDir,
    scraper,
    doctor: deps.doctor ?? platformDoctor({ ...env, WEB_URL: env['WEB_URL'] ?? `http://${config.host}:${config.port}` }, process.cwd(), config.doctorTimeoutMs),
    doctorTimeoutMs: config.doctorTimeoutMs,
  });
  return app;
}
