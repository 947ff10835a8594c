import Fastify from 'fastify';
import { createObservability, observabilityConfigFromEnv, observabilityPlugin } from '@samosachaat/observability';
const variant = process.env.VARIANT ?? 'bare';
const app = Fastify({ logger: false });
if (variant.startsWith('full')) {
  const obs = createObservability(observabilityConfigFromEnv('bench', process.env));
  await app.register(observabilityPlugin, { obs, localMode: true });
}
if (variant === 'headers') { app.addHook('onRequest', (req, reply, done) => { reply.header('x-trace-id', 'a'.repeat(32)); reply.header('traceparent', '00-' + 'a'.repeat(32) + '-' + 'b'.repeat(16) + '-01'); done(); }); }
if (variant === 'hook') { app.addHook('onRequest', (req, reply, done) => { done(); }); }
if (variant === 'oneheader') { app.addHook('onRequest', (req, reply, done) => { reply.header('x-trace-id', 'a'.repeat(32)); done(); }); }
if (variant === 'bigbody') { app.get('/big', async () => ({ hello: 'world', pad: 'x'.repeat(100) })); }
if (variant === 'als') { const { AsyncLocalStorage } = await import('node:async_hooks'); const als = new AsyncLocalStorage(); app.addHook('onRequest', (req, reply, done) => { als.run({ id: 1 }, done); }); }
app.get('/hello', async () => ({ hello: 'world' }));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.on('SIGINT', () => process.exit(0));
