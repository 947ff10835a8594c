import type { FastifyInstance, FastifyRequest } from 'fastify';

// Methods whose requests carry no body by nature: many clients set `content-type:
// application/json` on every request, so an empty body with that header is no error here.
const BODYLESS = new Set(['DELETE', 'OPTIONS', 'GET', 'HEAD']);

/**
 * Replaces Fastify's `application/json` parser on `app` (and every scope registered after):
 * an empty body on a body-less method is no body at all; anything else goes through Fastify's
 * own parser (prototype-poisoning checks as configured).
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  const { onProtoPoisoning, onConstructorPoisoning } = app.initialConfig as { onProtoPoisoning?: 'error' | 'remove' | 'ignore'; onConstructorPoisoning?: 'error' | 'remove' | 'ignore' };
  const parseJson = app.getDefaultJsonParser(onProtoPoisoning ?? 'error', onConstructorPoisoning ?? 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request: FastifyRequest, body: Buffer, done) => {
    if (body.length === 0 && BODYLESS.has(request.method)) {
      done(null, undefined);
      return;
    }
    parseJson(request, body as unknown as string, done);
  });
}
