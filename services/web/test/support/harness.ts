import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createObservability, type Observability } from '@samosachaat/observability';
import { observabilityConfigFromEnv } from '@samosachaat/service-kit';
import Fastify, { type FastifyInstance } from 'fastify';
import { LogCapture } from '../../../../test/support/contract-log-capture.js';
import { buildApp, buildUi, configFromEnv, type WebConfig, type WebDeps } from '../../src/index.js';

export { LogCapture };

/** A fresh service key per run: never a constant in the code. */
export function newInternalKey(): string {
  return randomBytes(32).toString('hex');
}

/** A small Fastify app on 127.0.0.1:0 standing in for chat-api, auth or inference. */
export interface Upstream {
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Starts a fake upstream whose routes `routes` registers. */
export async function startUpstream(routes: (app: FastifyInstance) => void): Promise<Upstream> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  routes(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { url, app, close: () => app.close() };
}

/** The pages the fixture UI serves; tests look for these markers. */
export const FIXTURE_MARKERS = { chat: 'fixture-chat-page', ops: 'fixture-ops-page', css: 'fixture-styles' };

/**
 * A UI folder in os.tmpdir() with the five source files, unbuilt: `omit` leaves files out;
 * `brokenTs` writes a chat.ts that does not compile. {@link builtFixtureUi} also builds it.
 */
export function fixtureUi(options: { omit?: string[]; brokenTs?: boolean } = {}): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'web-ui-'));
  const files: Record<string, string> = {
    'chat.html': `<!doctype html><title>chat</title><main id="${FIXTURE_MARKERS.chat}"></main><script type="module" src="/assets/chat.js"></script>`,
    'ops.html': `<!doctype html><title>ops</title><main id="${FIXTURE_MARKERS.ops}"></main><script type="module" src="/assets/ops.js"></script>`,
    'styles.css': `/* ${FIXTURE_MARKERS.css} */ body { margin: 0; }`,
    'shared.ts': 'export function traceIdLength(id: string): number {\n  return id.length;\n}\n',
    'chat.ts': options.brokenTs
      ? "import { nothing } from './missing-module.js';\nconsole.log(nothing);\n"
      : "import { traceIdLength } from './shared.js';\nconst chatMarker: string = 'chat-bundle-entry';\ndocument.title = `${chatMarker} ${traceIdLength('ab')}`;\n",
    'ops.ts': "const opsMarker: string = 'ops-bundle-entry';\ndocument.title = opsMarker;\n",
    'keys.html': '<!doctype html><title>keys</title><main id="keys-fixture"></main><script type="module" src="/assets/keys.js"></script>',
    'keys.ts': "const keysMarker: string = 'keys-bundle-entry';\ndocument.title = keysMarker;\n",
  };
  for (const [name, text] of Object.entries(files)) if (!options.omit?.includes(name)) writeFileSync(join(dir, name), text);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** {@link fixtureUi} with its bundles built as `npm run build:ui -- --dev` builds them (dist/). */
export async function builtFixtureUi(options: { omit?: string[] } = {}): Promise<{ dir: string; remove(): void }> {
  const ui = fixtureUi(options);
  try {
    await buildUi(ui.dir, { dev: true, skipMissing: true });
  } catch (err) {
    ui.remove();
    throw err;
  }
  return ui;
}

/** The web app on 127.0.0.1:0 with captured logs. */
export interface WebHarness {
  url: string;
  app: FastifyInstance;
  obs: Observability;
  logs: LogCapture;
  config: WebConfig;
  internalApiKey: string;
  close(): Promise<void>;
}

const NOWHERE = 'http://127.0.0.1:9';

/**
 * Builds and starts web in this process. Defaults: local mode, a fixture UI, no metrics
 * scraping, every upstream at a closed port (127.0.0.1:9) unless `env` says otherwise.
 */
export async function startWeb(env: Record<string, string> = {}, deps: Partial<WebDeps> = {}): Promise<WebHarness> {
  const ui = env.WEB_UI_DIR ? undefined : await builtFixtureUi();
  const internalApiKey = env.INTERNAL_API_KEY ?? newInternalKey();
  const logs = new LogCapture();
  const obs = createObservability(observabilityConfigFromEnv('web', { LOG_LEVEL: 'debug' }), { logDestination: logs, registerGlobalTracer: false, runtimeMetrics: false });
  const config = configFromEnv({
    INTERNAL_API_KEY: internalApiKey,
    SAMOSACHAAT_LOCAL: 'true',
    CHAT_API_URL: NOWHERE,
    AUTH_URL: NOWHERE,
    INFERENCE_URL: NOWHERE,
    METRICS_SCRAPE_INTERVAL_MS: '0',
    ...(ui ? { WEB_UI_DIR: ui.dir } : {}),
    ...env,
  });
  let app: FastifyInstance | undefined;
  try {
    app = await buildApp(config, { obs, env: {}, ...deps });
    await app.listen({ host: '127.0.0.1', port: 0 });
  } catch (err) {
    await app?.close();
    ui?.remove();
    throw err;
  }
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    url,
    app,
    obs,
    logs,
    config,
    internalApiKey,
    close: async () => {
      await app.close();
      await obs.shutdown();
      ui?.remove();
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
