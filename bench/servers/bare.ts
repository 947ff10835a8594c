/**
 * Bare arm: Fastify with `logger: false` and no plugin — the baseline every ratio divides by.
 * Started by bench/run.ts as a child process; see ./common.cjs for the IPC protocol.
 */
import Fastify from 'fastify';
import { announceFailure, announceReady, bindToParent, registerRoutes, repeatFromEnv } from './common.cjs';

async function main(): Promise<void> {
  bindToParent();
  const repeat = repeatFromEnv();
  const app = Fastify({ logger: false });
  registerRoutes(app, repeat);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  announceReady(address.port, repeat);
}

main().catch(announceFailure);
