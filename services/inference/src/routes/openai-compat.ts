import { AppError, describeError, setRetryAfter } from '@samosachaat/service-kit';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { INFERENCE_ERRORS, OverCapacityError } from '../errors.js';
import { ClientGoneError, type GenerationResult } from '../generation/generation-runner.js';
import { requireBearerKey } from '../http/auth.js';
import { clientDisconnectSignal } from '../http/client-signal.js';
import { formatSchemaErrors } from '../http/schema-errors.js';
import { SseResponse } from '../http/sse-response.js';
import { chatCompletionsBodySchema, parseChatCompletionsBody, refuseUnknownFields, type ChatCompletionsBody } from '../openai/openai-request.js';
import { CompletionShape, openAiError, usageOf } from '../openai/openai-response.js';
import type { InferenceRuntime } from '../runtime.js';
import { assertEngineHonours } from '../generation/generation-params.js';
import { countInvalidRequests } from './rejections.js';

/** A generation that failed after it started, as an HTTP error of the non-streamed answer. */
function failedGeneration(result: GenerationResult): AppError {
  if (result.outcome === 'timeout') return INFERENCE_ERRORS.INFERENCE_GENERATION_TIMEOUT(result.error);
  if (result.outcome === 'shutdown') return INFERENCE_ERRORS.INFERENCE_SHUTTING_DOWN(result.error);
  return INFERENCE_ERRORS.INFERENCE_GENERATION_FAILED(result.error);
}

/**
 * The OpenAI-compatible API, so OpenAI clients and tools can use samosaChaat inference:
 * `POST /v1/chat/completions` (streamed or not) and `GET /v1/models`, with the internal
 * key as the bearer token. Errors here use OpenAI's shape, not the samosaChaat envelope.
 */
export async function openAiCompatRoutes(app: FastifyInstance, runtime: InferenceRuntime): Promise<void> {
  const { config, runner, models, metrics } = runtime;
  const errorsLog = app.obs.getLogger('http');

  app.setErrorHandler((err, _request, reply) => {
    const { status, code, message, internal } = describeError(err);
    if (err instanceof OverCapacityError) setRetryAfter(reply, err);
    else if (internal && !(err instanceof AppError)) errorsLog.error({ err, status_code: status }, 'request_failed');
    else errorsLog.debug({ error_code: code, status_code: status }, 'request_rejected');
    const param = (err as { param?: unknown }).param;
    return reply.code(status).send(openAiError(status, code, message, typeof param === 'string' ? param : null));
  });

  const onRequest = requireBearerKey(config.internalApiKey);

  app.get('/v1/models', { onRequest }, async () => {
    const list = await models.models();
    const created = Math.floor(runtime.stats.startedAt / 1000);
    return { object: 'list', data: list.map((m) => ({ id: m.id, object: 'model', created, owned_by: `samosachaat-${m.engine}` })) };
  });

  app.post<{ Body: ChatCompletionsBody }>(
    '/v1/chat/completions',
    {
      onRequest,
      // Before the schema runs: its validator would drop unknown fields silently.
      preValidation: async (request) => refuseUnknownFields(request.body),
      schema: { body: chatCompletionsBodySchema },
      schemaErrorFormatter: formatSchemaErrors,
      onError: countInvalidRequests(metrics),
    },
    async (request, reply) => {
      const { params, stream, includeUsage } = parseChatCompletionsBody(request.body, config);
      assertEngineHonours(params, runtime.engine.id, runtime.engine.capabilities);
      const clientSignal = clientDisconnectSignal(reply);
      return stream ? streamed(request, reply, clientSignal) : whole(reply, clientSignal);

      async function streamed(req: typeof request, res: FastifyReply, signal: AbortSignal) {
        const sse = new SseResponse(req, res);
        let shape: CompletionShape | undefined;
        const send = (data: unknown) => sse.send(JSON.stringify(data));
        let result;
        try {
          result = await runner.run(
            params,
            {
              open: (model) => {
                shape = new CompletionShape(model);
                sse.open();
                void send(shape.chunk({ role: 'assistant', content: '' }));
              },
              write: (token) => send((shape as CompletionShape).chunk({ content: token })),
            },
            signal,
          );
        } catch (err) {
          if (err instanceof ClientGoneError) return res.hijack();
          throw err;
        }
        const s = shape as CompletionShape;
        if (result.error !== undefined) {
          const failed = failedGeneration(result);
          await send(openAiError(failed.statusCode, failed.code, failed.message));
        } else {
          await send(s.chunk({}, result.finishReason ?? 'stop'));
          if (includeUsage) await send(s.usageChunk(usageOf(result.promptTokens, result.completionTokens)));
        }
        await sse.send('[DONE]');
        sse.end();
        return res;
      }

      async function whole(res: FastifyReply, signal: AbortSignal) {
        const tokens: string[] = [];
        let result;
        try {
          result = await runner.run(params, { open: () => {}, write: async (token) => void tokens.push(token) }, signal);
        } catch (err) {
          if (err instanceof ClientGoneError) return res.hijack();
          throw err;
        }
        if (result.outcome === 'client_disconnected') return res.hijack();
        if (result.error !== undefined) throw failedGeneration(result);
        const shape = new CompletionShape(result.model);
        return res.send(shape.completion(tokens.join(''), result.finishReason ?? 'stop', usageOf(result.promptTokens, result.completionTokens)));
      }
    },
  );
}
