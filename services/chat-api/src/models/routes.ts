import type { Observability } from '@samosachaat/observability';
import { setRetryAfter } from '@samosachaat/service-kit';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { requireAdmin } from '../auth/auth-guard.js';
import { CHAT_ERRORS } from '../errors.js';
import { parseRetryAfter } from '../messages/inference-client.js';
import type { ChatMetrics } from '../metrics.js';
import { describeNetworkError, failureReason, statusReason } from '../upstream-errors.js';

/** What the model routes need. */
export interface ModelRoutesDeps {
  obs: Observability;
  metrics: ChatMetrics;
  inferenceUrl: string;
  internalApiKey: string;
}

const LIST_TIMEOUT_MS = 5000;
// A swap drains in-flight generations and loads the new model before answering.
const SWAP_TIMEOUT_MS = 120_000;
const MAX_PROXIED_BYTES = 1024 * 1024;

/** GET /api/models (any user) and POST /api/models/swap (admins): proxies of inference. */
export function registerModelRoutes(app: FastifyInstance, deps: ModelRoutesDeps): void {
  const log = deps.obs.getLogger('models');

  async function proxy(reply: FastifyReply, path: string, init: RequestInit, timeoutMs: number): Promise<FastifyReply> {
    let response: Response;
    let body: string;
    try {
      response = await deps.obs.fetch(
        `${deps.inferenceUrl}${path}`,
        { ...init, headers: { ...(init.headers as Record<string, string>), 'x-internal-api-key': deps.internalApiKey }, signal: AbortSignal.timeout(timeoutMs) },
        { peerService: 'inference', spanName: `${init.method ?? 'GET'} ${path}` },
      );
      body = await response.text();
    } catch (err) {
      const reason = failureReason(err);
      deps.metrics.upstreamErrors.inc({ upstream: 'inference', reason });
      log.error({ upstream: 'inference', reason, path, error: describeNetworkError(err) }, 'upstream_failed');
      throw CHAT_ERRORS.CHAT_INFERENCE_UNAVAILABLE({ retryAfterSeconds: 5 });
    }
    if (response.status >= 400) {
      const reason = response.status === 503 ? 'over_capacity' : statusReason(response.status);
      deps.metrics.upstreamErrors.inc({ upstream: 'inference', reason });
      log.error({ upstream: 'inference', reason, path, status_code: response.status }, 'upstream_failed');
    }
    if (body.length > MAX_PROXIED_BYTES) throw CHAT_ERRORS.CHAT_INFERENCE_UNAVAILABLE({ message: 'inference answered with an oversized body' });
    // inference's own Retry-After (a 503 over capacity), passed on the one way answers get it.
    const retryAfter = response.headers.get('retry-after');
    if (retryAfter) setRetryAfter(reply, { retryAfterSeconds: parseRetryAfter(retryAfter) });
    return reply
      .code(response.status)
      .type(response.headers.get('content-type') ?? 'application/json')
      .send(body);
  }

  app.get('/models', { config: { spanName: 'list models' } }, async (_request, reply) => proxy(reply, '/models', { method: 'GET' }, LIST_TIMEOUT_MS));

  app.post<{ Body: { model: string } }>(
    '/models/swap',
    {
      config: { spanName: 'swap model' },
      // Before the body is read: a non-admin learns nothing from validation errors.
      onRequest: async (request) => {
        requireAdmin(request);
      },
      schema: { body: { type: 'object', required: ['model'], properties: { model: { type: 'string', minLength: 1, maxLength: 200 } } } },
    },
    async (request, reply) => {
      const admin = requireAdmin(request);
      log.info({ model_tag: request.body.model, admin_id: admin.id }, 'model_swap_requested');
      return proxy(reply, '/models/swap', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: request.body.model }) }, SWAP_TIMEOUT_MS);
    },
  );
}
