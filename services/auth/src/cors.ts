import type { FastifyInstance } from 'fastify';

const ALLOWED_HEADERS = 'authorization, content-type, traceparent, tracestate, x-trace-id, x-request-id';
const EXPOSED_HEADERS = 'x-trace-id, traceparent, retry-after';

/**
 * Lets the web app (WEB_URL's origin, and only it) call the `/auth` routes from the browser
 * with credentials, so `POST /auth/refresh` can carry the refresh cookie when the web app is
 * served from another port or host than this service. Other origins get no CORS headers,
 * so browsers keep them out; the internal key header is never allowed cross-origin.
 */
export function registerWebOriginCors(app: FastifyInstance, webUrl: string): void {
  const origin = new URL(webUrl).origin;
  app.addHook('onRequest', async (request, reply) => {
    reply.header('vary', 'Origin');
    if (request.headers.origin !== origin) return;
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-allow-credentials', 'true');
    reply.header('access-control-expose-headers', EXPOSED_HEADERS);
  });
  app.options('/auth/*', async (request, reply) => {
    if (request.headers.origin === origin) {
      reply.header('access-control-allow-methods', 'GET, POST, PUT, DELETE');
      reply.header('access-control-allow-headers', ALLOWED_HEADERS);
      reply.header('access-control-max-age', '600');
    }
    return reply.code(204).send();
  });
}
