/**
 * Floor arm: bare Fastify plus one `AsyncLocalStorage.run` per request and nothing else — the
 * least any request context costs on this Node.js (SPEC §2 puts the context in AsyncLocalStorage,
 * shared with OpenTelemetry). On Node 20 the first `AsyncLocalStorage` turns on async hooks and
 * V8 promise hooks for the whole process; full observability cannot keep more than this arm.
 * Started by bench/run.ts as a child process; see ./common.cjs for the IPC protocol.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import Fastify from 'fastify';
import { announceFailure, bindToParent, listenAndAnnounce, registerRoutes, repeatFromEnv } from './common.cjs';

async function main(): Promise<void> {
  bindToParent();
  const repeat = repeatFromEnv();
  const app = Fastify({ logger: false });
  const als = new AsyncLocalStorage<{ id: number }>();
  let id = 0;
  app.addHook('onRequest', (_request, _reply, done) => als.run({ id: id++ }, done));
  registerRoutes(app, repeat);
  await listenAndAnnounce(app, repeat);
}

main().catch(announceFailure);
