/**
 * Bare arm: Fastify with `logger: false` and no plugin — the baseline every ratio divides by.
 * Started by bench/run.ts as a child process; see ./common.cjs for the IPC protocol.
 */
import Fastify from 'fastify';
import { announceFailure, bindToParent, listenAndAnnounce, registerRoutes, repeatFromEnv } from './common.cjs';

async function main(): Promise<void> {
  bindToParent();
  const repeat = repeatFromEnv();
  const app = Fastify({ logger: false });
  registerRoutes(app, repeat);
  await listenAndAnnounce(app, repeat);
}

main().catch(announceFailure);
