import { keysMatch } from '@samosachaat/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { INFERENCE_ERRORS } from '../errors.js';

/** An `onRequest` hook: the `X-Internal-API-Key` header must match, compared in constant time. */
export function requireInternalKey(key: string) {
  return async (request: FastifyRequest): Promise<void> => {
    if (!keysMatch(request.headers['x-internal-api-key'], key)) throw INFERENCE_ERRORS.INFERENCE_UNAUTHORIZED();
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
