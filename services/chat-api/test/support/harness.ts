import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { openDatabase, type Database } from '@samosachaat/db';
import { createObservability, type Observability } from '@samosachaat/observability';
import { observabilityConfigFromEnv } from '@samosachaat/service-kit';
import type { FastifyInstance } from 'fastify';
import { buildApp, configFromEnv, type AuthCache } from '../../src/index.js';
import { openTestDatabase, type Backend, type TestDatabase } from './databases.js';
import { FakeAuth, type FakeUser } from './fake-auth.js';
import { FakeInference, type InferenceControl } from './fake-inference.js';
import { LogCapture } from './log-capture.js';

/** A user with a row in the database and a token the fake auth accepts. */
export interface TestUser extends FakeUser {
  token: string;
}

/** The answer of {@link Harness.call}. */
export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/** chat-api listening on 127.0.0.1:0 with a real database and fake auth and inference. */
export interface Harness {
  url: string;
  app: FastifyInstance;
  obs: Observability;
  logs: LogCapture;
  db: Database;
  auth: FakeAuth;
  inference: InferenceControl;
  internalApiKey: string;
  alice: TestUser;
  bob: TestUser;
  admin: TestUser;
  /** Adds a user (database row + token). */
  addUser(name: string, isAdmin?: boolean): Promise<TestUser>;
  /** An HTTP call with `user`'s bearer token (none when `user` is null). */
  call(method: string, path: string, options?: { user?: TestUser | null; body?: unknown; headers?: Record<string, string> }): Promise<CallResult>;
  /** Value of one exact series in /metrics (undefined when absent). */
  metric(series: string): Promise<number | undefined>;
  close(): Promise<void>;
}

/** Options of {@link startHarness}. */
export interface HarnessOptions {
  backend?: Backend;
  env?: Record<string, string>;
  /** Use this inference (a child process) instead of an in-process fake. */
  inference?: InferenceControl;
  /** Use this key (needed when `inference` was started with it). */
  internalApiKey?: string;
  authCache?: AuthCache;
  clientStallTimeoutMs?: number;
  /** A PostgreSQL database of the test's own (a throw-away cluster) instead of `backend`; migrated here, not dropped. */
  databaseUrl?: string;
  /** The client-side deadline of database calls (openDatabase's queryTimeoutMs). */
  queryTimeoutMs?: number;
}

/** A fresh service key per run: never a constant in the code. */
export function newInternalKey(): string {
  return randomBytes(32).toString('hex');
}

/** Reads one exact series from a Prometheus text exposition. */
export function metricValue(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Starts the fakes, a database and chat-api (in this process). */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const internalApiKey = options.internalApiKey ?? newInternalKey();
  const logs = new LogCapture();
  const obs = createObservability(observabilityConfigFromEnv('chat-api', { LOG_LEVEL: 'debug' }), { logDestination: logs, registerGlobalTracer: false, runtimeMetrics: false });
  const auth = await new FakeAuth(internalApiKey).start();
  const ownInference = options.inference ? undefined : await new FakeInference(internalApiKey).start();
  const inference = options.inference ?? (ownInference as FakeInference).control();
  let database: TestDatabase | undefined;
  let app: FastifyInstance | undefined;
  try {
    if (options.databaseUrl !== undefined) {
      const db = await openDatabase({ url: options.databaseUrl, obs, queryTimeoutMs: options.queryTimeoutMs });
      await db.migrate();
      database = { db, close: () => db.close() };
    } else database = await openTestDatabase(options.backend ?? 'pglite', obs);
    const config = configFromEnv({ INTERNAL_API_KEY: internalApiKey, AUTH_URL: auth.url, INFERENCE_URL: inference.url, SAMOSACHAAT_LOCAL: 'true', ...options.env });
    app = await buildApp(config, { obs, db: database.db, authCache: options.authCache, clientStallTimeoutMs: options.clientStallTimeoutMs });
    await app.listen({ port: 0, host: '127.0.0.1' });
  } catch (err) {
    await app?.close();
    await database?.close();
    await auth.stop();
    await ownInference?.stop();
    throw err;
  }
  const db = database.db;
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  const addUser = async (name: string, isAdmin = false): Promise<TestUser> => {
    const email = `${name}-${randomBytes(4).toString('hex')}@example.test`;
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO users (email, name, provider, provider_id, is_admin) VALUES ($1, $2, 'test', $1, $3) RETURNING id`,
      [email, name, isAdmin],
    );
    const user: TestUser = { id: (rows[0] as { id: string }).id, email, name, is_admin: isAdmin, token: `tok.${randomBytes(24).toString('base64url')}` };
    auth.grant(user.token, user);
    return user;
  };

  const call: Harness['call'] = async (method, path, callOptions = {}) => {
    const headers: Record<string, string> = { ...callOptions.headers };
    const user = callOptions.user === undefined ? alice : callOptions.user;
    if (user) headers.authorization = `Bearer ${user.token}`;
    let body: string | undefined;
    if (callOptions.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(callOptions.body);
    }
    const res = await fetch(`${url}${path}`, { method, headers, body });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };

  const alice = await addUser('alice');
  const bob = await addUser('bob');
  const admin = await addUser('admin', true);
  const opened = app;
  const openedDb = database;
  return {
    url,
    app: opened,
    obs,
    logs,
    db,
    auth,
    inference,
    internalApiKey,
    alice,
    bob,
    admin,
    addUser,
    call,
    metric: async (series) => metricValue((await opened.inject({ url: '/metrics' })).body, series),
    close: async () => {
      await opened.close();
      await openedDb.close();
      await auth.stop();
      await ownInference?.stop();
      await obs.shutdown();
    },
  };
}
