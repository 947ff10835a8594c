/**
 * `samosachaat start`: the whole platform on one machine, on embedded defaults.
 *
 * 1. Checks the ports are free (a clear message naming the port otherwise).
 * 2. Serves the embedded PGlite database (DATA_DIR) over the PostgreSQL protocol on a loopback
 *    port, unless DATABASE_URL points at a server, and applies pending migrations.
 * 3. Starts inference, auth, chat-api and web as child processes (SAMOSACHAAT_LOCAL=true, one
 *    INTERNAL_API_KEY generated for this run), waits until each answers /ready. Auth's public
 *    URL and WEB_URL are web's, so OAuth redirects and the refresh cookie go through web's proxy.
 * 4. With --with-prometheus, also runs Prometheus, Alertmanager and node_exporter against them
 *    (packages/monitoring; a warning, not a failure, when they are not installed).
 *    Prints the URLs, a development token and a ready-to-paste curl that streams a reply.
 * 5. A service that dies is reported and the others keep running.
 * 6. Ctrl-C (SIGINT) or SIGTERM: stops web first (no new requests), then chat-api (its streams
 *    drain), then auth and inference, then the database; exits 0 (1 if a service had died).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { explainDatabaseFailure, migrationLabel, openDatabase, pgliteDir, startEmbeddedServer, validateDatabaseUrl } from '@samosachaat/db';
import type { LocalMonitoring } from '@samosachaat/monitoring';
import { clearEmbeddedState, runningEmbeddedUrl, writeEmbeddedState } from '@samosachaat/platform/embedded-state';
import { chooseEngine, EngineChoiceError } from './engine-choice.js';
import { PortVariableError, SERVICES, servicePort, type ServiceName } from '@samosachaat/platform/service-ports';

export interface StartIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Resolves when the user asks to stop (Ctrl-C / SIGTERM). Injectable for tests. */
  stopSignal?: Promise<string>;
  /** `--with-prometheus`: also run Prometheus, Alertmanager and node_exporter against the services. */
  withPrometheus?: boolean;
  /** `--model PATH`: serve this GGUF file with the llama engine. */
  model?: string;
}

export interface ServiceSpec {
  name: ServiceName;
  port: number;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const parentGuard = fileURLToPath(new URL('./parent-guard.ts', import.meta.url));

/** Where each service's entry point lives (run from source through tsx). */
export function serviceEntry(name: ServiceSpec['name']): string {
  return join(repoRoot, 'services', name, 'src', 'main.ts');
}

function embeddedDbPort(env: StartIo['env']): number {
  const raw = env['EMBEDDED_DB_PORT']?.trim();
  if (!raw) return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new StartError(`EMBEDDED_DB_PORT must be a port number (1-65535), got "${raw}"`);
  return n;
}

/** A start-up failure with a message for people; no stack trace is printed for it. */
export class StartError extends Error {
  override name = 'StartError';
}

/** Resolves when `port` on 127.0.0.1 can be bound, rejects with a StartError naming it otherwise. */
async function assertPortFree(p: number, what: string, variable: string): Promise<void> {
  await new Promise<void>((ok, fail) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) =>
      fail(new StartError(`port ${p} (${what}) is ${err.code === 'EADDRINUSE' ? 'already in use' : `not available (${err.code})`}: stop what holds it (\`ss -ltnp 'sport = :${p}'\`) or set ${variable} to another port`)),
    );
    server.listen({ port: p, host: '127.0.0.1', exclusive: true }, () => server.close(() => ok()));
  });
}

async function waitReady(name: string, url: string, child: ChildProcess, timeoutMs: number, interrupted: () => string | undefined, progress?: (line: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  let shown = '';
  while (Date.now() < deadline) {
    if (progress) {
      // A model loading: show its percent as /health reports it, each change once.
      const health = (await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) }).then((r) => r.json(), () => undefined)) as { loading?: { model: string; percent: number } | null } | undefined;
      const line = health?.loading ? `loading model ${health.loading.model}: ${health.loading.percent}%` : '';
      if (line !== '' && line !== shown) progress(line);
      shown = line || shown;
    }
    const signal = interrupted();
    if (signal) throw new StartError(`interrupted (${signal}) while waiting for ${name}; stopping what was started`);
    if (child.exitCode !== null || child.signalCode !== null) throw new StartError(`${name} exited during start-up (${child.exitCode ?? child.signalCode}); its output is above`);
    try {
      const res = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
      last = `/ready answered ${res.status}: ${(await res.text()).slice(0, 200)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new StartError(`${name} was not ready after ${Math.round(timeoutMs / 1000)} s (${last})`);
}

/** Forwards a child's output line by line, so lines of different services never interleave mid-line. */
function forwardLines(from: NodeJS.ReadableStream, to: StartIo['stdout']): void {
  let pending = '';
  from.setEncoding('utf8');
  from.on('data', (chunk: string) => {
    pending += chunk;
    const last = pending.lastIndexOf('\n');
    if (last === -1) return;
    to.write(pending.slice(0, last + 1));
    pending = pending.slice(last + 1);
  });
  from.on('end', () => {
    if (pending) to.write(`${pending}\n`);
  });
}

function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  return new Promise((resolveStop) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolveStop();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveStop();
    });
    child.kill('SIGTERM');
  });
}

function defaultStopSignal(io: StartIo): Promise<string> {
  return new Promise((resolveSignal) => {
    let first = true;
    const on = (signal: string) => () => {
      if (first) {
        first = false;
        resolveSignal(signal);
      } else {
        // A second Ctrl-C must not kill the launcher half-way: the embedded database lives here.
        io.stderr.write('samosachaat: still stopping (each service has 15 s to drain, then it is killed)…\n');
      }
    };
    process.on('SIGINT', on('SIGINT'));
    process.on('SIGTERM', on('SIGTERM'));
  });
}

/** Runs the platform until the stop signal; resolves with the exit status. */
export async function runStart(io: StartIo): Promise<number> {
  const out = (s: string) => io.stdout.write(s);
  const children: { name: string; child: ChildProcess }[] = [];
  let embedded: { url: string; close(): Promise<void> } | undefined;
  let stopping = false;
  // Listen from the very start: Ctrl-C during start-up stops what has started, in order.
  const stopSignal = io.stopSignal ?? defaultStopSignal(io);
  let interrupted: string | undefined;
  void stopSignal.then((signal) => (interrupted = signal));
  const dataDirFor = resolve(io.cwd, io.env['DATA_DIR']?.trim() || '.data');
  let monitoring: LocalMonitoring | undefined;
  const stopAll = async () => {
    // The monitoring stack first, so it does not alert about services stopping on purpose.
    await monitoring?.stop();
    // web first (browsers stop reaching the platform), then chat-api: it drains its streams while
    // inference and auth are still there to serve them.
    for (const name of ['web', 'chat-api', 'auth', 'inference']) {
      const entry = children.find((c) => c.name === name);
      if (entry) await stopChild(entry.child, 15_000);
    }
    if (embedded) {
      await embedded.close();
      clearEmbeddedState(dataDirFor);
    }
  };
  try {
    const env = io.env;
    const host = '127.0.0.1';
    // inference first, web last: its readiness needs chat-api and auth.
    const specs: ServiceSpec[] = SERVICES.map((s) => ({ name: s.name, port: servicePort(env, s.name) }));
    for (const s of SERVICES) await assertPortFree(servicePort(env, s.name), s.name, s.portVariable);
    const dataDir = dataDirFor;
    let engine;
    try {
      engine = chooseEngine(env, io.cwd, dataDir, io.model);
    } catch (err) {
      if (err instanceof EngineChoiceError) throw new StartError(err.message);
      throw err;
    }
    try {
      mkdirSync(dataDir, { recursive: true });
    } catch (err) {
      throw new StartError(`DATA_DIR: cannot create ${dataDir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): set DATA_DIR to a folder this user can write`);
    }
    const internalKey = env['INTERNAL_API_KEY']?.trim() || randomBytes(32).toString('base64url');
    if (internalKey.length < 32) throw new StartError('INTERNAL_API_KEY must be at least 32 characters (unset it and `npm start` generates one per run)');

    let databaseUrl = env['DATABASE_URL']?.trim();
    if (databaseUrl) {
      const problem = validateDatabaseUrl(databaseUrl);
      if (problem) throw new StartError(`DATABASE_URL ${problem}; unset it to use the embedded PGlite database in DATA_DIR`);
    } else {
      const running = runningEmbeddedUrl(dataDir);
      if (running) throw new StartError(`another samosachaat start is already serving ${dataDir} (${running}); stop it first, or set DATA_DIR to another folder`);
      try {
        embedded = await startEmbeddedServer({ dataDir, host, port: embeddedDbPort(env) });
      } catch (err) {
        if (err instanceof StartError) throw err;
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new StartError(`EMBEDDED_DB_PORT ${env['EMBEDDED_DB_PORT']} is already in use: unset it (a free port is chosen) or choose another`);
        throw new StartError(explainDatabaseFailure(err, `pglite:${pgliteDir(dataDir)}`));
      }
      databaseUrl = embedded.url;
      writeEmbeddedState(dataDir, { url: embedded.url, pid: process.pid });
      out(`samosachaat: embedded database (PGlite) in ${dataDir}, served on ${databaseUrl}\n`);
    }
    const db = await openDatabase({ url: databaseUrl });
    try {
      const applied = await db.migrate();
      if (applied.length) out(`samosachaat: applied migrations ${applied.map(migrationLabel).join(', ')}\n`);
    } catch (err) {
      throw new StartError(explainDatabaseFailure(err, db.description));
    } finally {
      await db.close();
    }

    const urls = Object.fromEntries(specs.map((s) => [s.name, `http://${host}:${s.port}`])) as Record<ServiceSpec['name'], string>;
    const baseEnv: Record<string, string> = {
      ...(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>),
      SAMOSACHAAT_LOCAL: 'true',
      INTERNAL_API_KEY: internalKey,
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      // Files as well as the terminal, so `samosachaat logs --trace <id>` can follow a request.
      LOG_DIR: env['LOG_DIR']?.trim() || join(dataDir, 'logs'),
      AUTH_URL: urls.auth,
      INFERENCE_URL: urls.inference,
      CHAT_API_URL: urls['chat-api'],
      // Browsers reach auth through web's /auth proxy: OAuth redirect URIs, the end of a login
      // and the refresh cookie's path are all on web's origin.
      WEB_URL: urls.web,
      AUTH_PUBLIC_URL: env['AUTH_PUBLIC_URL']?.trim() || urls.web,
      HOST: host,
    };
    for (const s of specs) {
      // Own process group: Ctrl-C reaches only this launcher, which stops the services in order.
      // The parent guard stops a service when this launcher goes away, however it ends.
      const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', '--import', parentGuard, serviceEntry(s.name)], {
        cwd: repoRoot,
        env: { ...baseEnv, ...(s.name === 'inference' ? engine.env : {}), PORT: String(s.port), SAMOSACHAAT_PARENT_GUARD: '1' },
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
      forwardLines(child.stdout!, io.stdout);
      forwardLines(child.stderr!, io.stderr);
      children.push({ name: s.name, child });
      if (s.name === 'inference') out(`samosachaat: inference engine ${engine.description}\n`);
      // A local model of several GB can take minutes to load on a CPU.
      const local = s.name === 'inference' && engine.local;
      await waitReady(s.name, urls[s.name], child, local ? 900_000 : 60_000, () => interrupted, local ? (line) => out(`samosachaat: ${line}\n`) : undefined);
      out(`samosachaat: ${s.name} ready on ${urls[s.name]} (pid ${child.pid})\n`);
    }

    if (io.withPrometheus) {
      // Loaded only when asked for: the monitoring package is not needed to run the platform.
      const { startLocalMonitoring } = await import('@samosachaat/monitoring');
      monitoring = await startLocalMonitoring({ env, dataDir, services: urls, warn: (line) => io.stderr.write(line) });
      if (monitoring) out(monitoring.banner);
    }
    const token = await developmentToken(urls.auth);
    const conversationId = await firstConversation(urls['chat-api'], token);
    out(readyBanner(urls, token, conversationId, engine.description));

    // A service that dies is reported loudly, and the others keep running (so what the rest do
    // without it can be seen); Ctrl-C then stops what remains and the exit status says it failed.
    let died = 0;
    for (const { name, child } of children) {
      child.once('exit', (code, signal) => {
        if (stopping) return;
        died++;
        io.stderr.write(`samosachaat: ${name} exited unexpectedly (${signal ?? `exit code ${code}`}); the other services keep running; Ctrl-C stops them\n`);
      });
    }
    const signal = await stopSignal;
    stopping = true;
    out(`\nsamosachaat: stopping (${signal}): web, chat-api, auth, inference, database…\n`);
    await stopAll();
    out('samosachaat: stopped\n');
    return died ? 1 : 0;
  } catch (err) {
    io.stderr.write(`samosachaat start: ${err instanceof StartError || err instanceof PortVariableError ? err.message : ((err as Error).stack ?? String(err))}\n`);
    await stopAll();
    return 1;
  }
}

async function developmentToken(authUrl: string): Promise<string> {
  const res = await fetch(`${authUrl}/auth/dev-login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'dev@samosachaat.local', name: 'Developer' }),
  });
  if (!res.ok) throw new StartError(`development login failed: ${res.status} ${(await res.text()).slice(0, 300)}`);
  const body = (await res.json()) as { access_token: string };
  return body.access_token;
}

/** The title of the conversation the start banner's curl example sends to. */
export const START_CONVERSATION_TITLE = 'Hello from npm start';

/**
 * The development user's conversation for the banner's example: the one a previous start
 * created (found by its title through chat-api's search), else a new one. So restarts do not
 * add another empty conversation each time.
 */
export async function firstConversation(chatUrl: string, token: string): Promise<string> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const found = await fetch(`${chatUrl}/api/conversations/search?q=${encodeURIComponent(START_CONVERSATION_TITLE)}&limit=100`, { headers });
  if (found.ok) {
    const { results } = (await found.json()) as { results: Array<{ conversation: { id: string; title: string | null } }> };
    const existing = results.find((r) => r.conversation.title === START_CONVERSATION_TITLE);
    if (existing) return existing.conversation.id;
  } else await found.body?.cancel();
  const res = await fetch(`${chatUrl}/api/conversations`, { method: 'POST', headers, body: JSON.stringify({ title: START_CONVERSATION_TITLE }) });
  if (!res.ok) throw new StartError(`creating a first conversation failed: ${res.status} ${(await res.text()).slice(0, 300)}`);
  return ((await res.json()) as { id: string }).id;
}

/** What a newcomer reads once everything is up. */
export function readyBanner(urls: Record<ServiceSpec['name'], string>, token: string, conversationId: string, engine = 'demo (not a language model)'): string {
  return `
samosaChaat is running (local mode: development login on, /debug/traces open).

  open ${urls.web} in a browser     (chat; operations console at ${urls.web}/ops)

  chat-api   ${urls['chat-api']}     metrics ${urls['chat-api']}/metrics
  auth       ${urls.auth}     metrics ${urls.auth}/metrics
  inference  ${urls.inference}     metrics ${urls.inference}/metrics   (engine: ${engine})
  traces     ${urls['chat-api']}/debug/traces

Development token for dev@samosachaat.local (valid 1 hour; \`samosachaat token --email you@example.com\` mints another):

  export TOKEN=${token}

Stream a reply:

  curl -N -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"content":"Tell me about samosas"}' ${urls['chat-api']}/api/conversations/${conversationId}/messages

Follow a request across services: take the x-trace-id response header, then
  npm run samosachaat -- traces <trace-id>     (spans from every service)
  npm run samosachaat -- logs --trace <trace-id>

Press Ctrl-C to stop everything.
`;
}
