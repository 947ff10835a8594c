import { currentTraceId } from '@samosachaat/observability';
import { errorEnvelope, setRetryAfter } from '@samosachaat/service-kit';
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
  setRetryAfter(reply, err);
  return reply.code(503).send(errorEnvelope(err.code, err.message, currentTraceId()));
}

/**
 * `POST /generate` (internal key): one generation as server-sent events, exactly
 * `data: {"token":"…"}` per chunk, `data: {"error":"…","code":"INFERENCE_…"}` on failure
 * (plus `retry_after` seconds when the upstream gave a `Retry-After`), and always a final
 * `data: {"done":true,"model":"…","finish_reason":…,"usage":{"prompt_tokens":…,"completion_tokens":…}}`
 * with the engine's own token counts (a chunk can hold several model tokens, so counting frames
 * is not counting tokens). chat-api forwards the token events to browsers, keeps the usage for
 * the stored `token_count` and sends its own `done` (services/inference/README.md).
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
      if (result.error !== undefined) {
        // Coded (src/errors.ts), so chat-api can answer a failure before the first token with
        // the right HTTP status and pass an upstream's Retry-After on.
        const event: Record<string, unknown> = { error: result.error, code: result.errorCode };
        if (result.retryAfter !== undefined) event.retry_after = result.retryAfter;
        await sse.send(JSON.stringify(event));
      }
      // The engine's own counts and finish reason, always: chat-api stores completion_tokens as
      // the answer's token_count and its OpenAI-compatible API reports them as usage.
      const usage = { prompt_tokens: result.promptTokens, completion_tokens: result.completionTokens };
      await sse.send(JSON.stringify({ done: true, model: result.model, finish_reason: result.finishReason ?? null, usage }));
      sse.end();
      return reply;
    },
  );
}
