import { keyMatcher, keysMatch } from '@samosachaat/service-kit';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { INFERENCE_ERRORS } from '../errors.js';

/**
 * An `onRequest` hook: the `X-Internal-API-Key` header must match, compared in constant time.
 * Callback-style (no promise to settle on every request) against the key's digest computed once.
 */
export function requireInternalKey(key: string) {
  const matches = keyMatcher(key);
  return (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    if (!matches(request.headers['x-internal-api-key'])) return done(INFERENCE_ERRORS.INFERENCE_UNAUTHORIZED());
    done();
  };
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** An `onRequest` hook for the OpenAI-compatible API: `Authorization: Bearer <INTERNAL_API_KEY>`. */
export function requireBearerKey(key: string) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    const token = typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
    if (!keysMatch(token, key)) {
      reply.header('www-authenticate', 'Bearer realm="samosachaat-inference"');
      throw INFERENCE_ERRORS.INFERENCE_UNAUTHORIZED('missing or wrong API key: send Authorization: Bearer <INTERNAL_API_KEY>');
    }
  };
}
