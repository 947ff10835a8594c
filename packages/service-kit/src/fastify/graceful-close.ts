import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { createShutdownSweep } from './shutdown-sweep.js';

const plugin: FastifyPluginAsync = async (app) => {
  const sweep = createShutdownSweep(app.server);
  app.addHook('preClose', (done) => {
    sweep.start();
    done();
  });
  app.addHook('onClose', async () => sweep.stop());
};

/**
 * A graceful close ends as soon as the last answer is sent: idle keep-alive connections and
 * connections that never sent a byte are closed while in-flight requests finish.
 * fastify-plugin: the close hooks are the whole server's.
 */
export const gracefulClosePlugin = fp(plugin, { fastify: '5.x', name: '@samosachaat/service-kit/graceful-close' });
