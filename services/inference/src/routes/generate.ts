import { currentTraceId, errorEnvelope } from '@samosachaat/observability';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { OverCapacityError } from '../errors.js';
import { assertEngineHonours, generateBodySchema, validateGenerateBody, type GenerateBody } from '../generation/generation-params.js';
import { ClientGoneError } from '../generation/generation-runner.js';
import { requireInternalKey } from '../http/auth.js';
import { clientDisconnectSignal } from '../http/client-signal.js';
import { formatSchemaErrors } from '../http/schema-errors.js';
import { SseResponse } from '../http/sse-response.js';
import type { InferenceRuntime } from '../runtime.js';
import { countInvalidRequests } from './rejections.js';

/**
 * Answers over capacity directly: an expected, load-driven refusal is not a server error
 * to log at `error` on every request (the runner logs it, rate-limited).
 */
export function sendOverCapacity(reply: FastifyReply, err: OverCapacityError): FastifyReply {
  return reply.code(503).header('retry-after', String(err.retryAfter)).send(errorEnvelope(err.code, err.message, currentTraceId()));
}

/**
 * `POST /generate` (internal key): one generation as server-sent events, exactly
 * `data: {"token":"…"}` per chunk, `data: {"error":"…"}` on failure, and always a final
 * `data: {"done":true}` (with `"include_usage": true` in the body: plus `model`,
 * `finish_reason` and `usage: {prompt_tokens, completion_tokens}`). chat-api forwards these events unchanged to browsers.
 */
export function registerGenerateRoute(app: FastifyInstance, runtime: InferenceRuntime): void {
  const { config, runner, metrics } = runtime;
  app.post<{ Body: GenerateBody }>(
    '/generate',
    {
      onRequest: requireInternalKey(config.internalApiKey),
      schema: { body: generateBodySchema },
      schemaErrorFormatter: formatSchemaErrors,
      onError: countInvalidRequests(metrics),
    },
    async (request, reply) => {
      const params = validateGenerateBody(request.body, config);
      assertEngineHonours(params, runtime.engine.id, runtime.engine.capabilities);
      const clientSignal = clientDisconnectSignal(reply);
      const sse = new SseResponse(request, reply);
      let result;
      try {
        result = await runner.run(
          params,
          {
            open: () => sse.open(),
            write: (token) => sse.send(JSON.stringify({ token })),
            // Tool-call deltas as the engine's upstream sent them (`delta.tool_calls`), unchanged.
            toolCalls: (deltas) => sse.send(JSON.stringify({ tool_calls: deltas })),
          },
          clientSignal,
        );
      } catch (err) {
        if (err instanceof OverCapacityError) return sendOverCapacity(reply, err);
        if (err instanceof ClientGoneError) return reply.hijack();
        throw err;
      }
      if (result.error !== undefined) await sse.send(JSON.stringify({ error: result.error }));
      // Asked for with `include_usage` (chat-api's OpenAI-compatible API reports them), the usage
      // and finish reason ride on `done`; without it `done` stays exactly `{"done":true}`.
      const done = request.body.include_usage === true
        ? { done: true, model: result.model, finish_reason: result.finishReason ?? null, usage: { prompt_tokens: result.promptTokens, completion_tokens: result.completionTokens } }
        : { done: true };
      await sse.send(JSON.stringify(done));
      sse.end();
      return reply;
    },
  );
}
