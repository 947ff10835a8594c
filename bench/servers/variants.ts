/**
 * One server, several variants (VARIANT env), for attributing cost by difference under
 * callgrind (bench/instructions.sh) or any load generator:
 * - `bare`: Fastify, logger off;
 * - `als`: bare + one AsyncLocalStorage.run per request (what any request-context needs);
 * - `full`: bare + the observability plugin (env decides what is on: LOG_LEVEL,
 *   TRACE_BUFFER_SIZE, METRICS_ENABLED).
 * Routes: `/hello` and `/json` (8 × JSON.parse + JSON.stringify of a chat-shaped document; with
 * BENCH_JSON_REPEAT set, the workload of bench/ab.ts and bench/run.ts instead: that many
 * rounds of common.cjs's `jsonWork`, whose repeat those tools calibrate to ~85 µs).
 * Listens on 127.0.0.1:PORT; exits on SIGINT/SIGTERM (so profilers write their output).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import Fastify from 'fastify';
import { createObservability } from '@samosachaat/observability';
import { observabilityConfigFromEnv, servicePlugin } from '@samosachaat/service-kit';
import { jsonWork } from './common.cjs';

const variant = process.env.VARIANT ?? 'bare';
if (!['bare', 'als', 'full'].includes(variant)) throw new Error(`VARIANT must be bare, als or full, got "${variant}"`);
const app = Fastify({ logger: false });
if (variant === 'full') {
  const obs = createObservability(observabilityConfigFromEnv('bench', process.env));
  await app.register(servicePlugin, { obs, localMode: true });
}
if (variant === 'als') {
  const als = new AsyncLocalStorage<{ id: number }>();
  let id = 0;
  app.addHook('onRequest', (_request, _reply, done) => als.run({ id: id++ }, done));
}

const PAYLOAD = JSON.stringify({
  conversation_id: 'c-1',
  user_id: 'u-1',
  messages: [0, 1].map((i) => ({ id: `msg-${i}`, role: i ? 'assistant' : 'user', content: 'the quick brown fox jumps over the lazy dog '.repeat(2), tokens: 17 * i + 3 })),
});
app.get('/hello', async () => ({ hello: 'world' }));
const repeat = process.env.BENCH_JSON_REPEAT ? Number(process.env.BENCH_JSON_REPEAT) : undefined;
if (repeat !== undefined && !(Number.isInteger(repeat) && repeat > 0)) throw new Error(`BENCH_JSON_REPEAT must be a positive integer, got "${process.env.BENCH_JSON_REPEAT}"`);
app.get('/json', async () => {
  if (repeat !== undefined) return { repeat, bytes: jsonWork(repeat) };
  let bytes = 0;
  for (let i = 0; i < 8; i++) bytes += JSON.stringify(JSON.parse(PAYLOAD)).length;
  return { bytes };
});

await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0));
