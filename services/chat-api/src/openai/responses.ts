import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { ApiAnswer, type ApiAnswerDeps } from './api-answer.js';
import { apiCaller } from './api-key-guard.js';
import type { ModelCheck } from './chat-completions.js';
import { OpenAiError } from './openai-errors.js';
import { parseResponsesRequest, type ResponsesRequest } from './responses-request.js';

const newId = (prefix: string) => `${prefix}_${randomUUID().replace(/-/g, '')}`;

/** Builds the objects of one Responses API answer (whole, or the snapshots its events carry). */
class ResponseShape {
  readonly id = newId('resp');
  readonly messageId = newId('msg');
  readonly createdAt = Math.floor(Date.now() / 1000);

  constructor(private readonly req: ResponsesRequest) {}

  message(text: string, status: 'in_progress' | 'completed' | 'incomplete') {
    return { id: this.messageId, type: 'message', status, role: 'assistant', content: status === 'in_progress' && text === '' ? [] : [this.part(text)] };
  }

  part(text: string) {
    return { type: 'output_text', text, annotations: [], logprobs: [] };
  }

  response(status: 'in_progress' | 'completed' | 'incomplete' | 'failed', extra: { text?: string; promptTokens?: number; completionTokens?: number; error?: string } = {}) {
    const { echo, params } = this.req;
    const done = status !== 'in_progress';
    return {
      id: this.id,
      object: 'response',
      created_at: this.createdAt,
      status,
      background: false,
      error: status === 'failed' ? { code: 'server_error', message: extra.error ?? 'the answer failed' } : null,
      incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
      instructions: echo.instructions,
      max_output_tokens: echo.max_output_tokens,
      metadata: echo.metadata,
      model: params.model,
      output: done && status !== 'failed' ? [this.message(extra.text ?? '', status === 'completed' ? 'completed' : 'incomplete')] : [],
      parallel_tool_calls: false,
      previous_response_id: null,
      reasoning: { effort: null, summary: null },
      store: echo.store,
      temperature: echo.temperature,
      text: { format: { type: 'text' } },
      tool_choice: 'none',
      tools: [],
      top_p: echo.top_p,
      truncation: 'disabled',
      usage: done
        ? {
            input_tokens: extra.promptTokens ?? 0,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: extra.completionTokens ?? 0,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: (extra.promptTokens ?? 0) + (extra.completionTokens ?? 0),
          }
        : null,
      user: null,
    };
  }
}

/**
 * `POST /v1/responses` for text, streamed (typed events: `response.created` …
 * `response.output_text.delta` … `response.completed`) or whole; stateless, so
 * `GET /v1/responses/{id}` is a 400 saying nothing is stored.
 */
export function registerResponses(scope: FastifyInstance, deps: ApiAnswerDeps & { models: ModelCheck }): void {
  const stateless = async () => {
    throw new OpenAiError(400, 'unsupported_parameter', 'responses are not stored (this API is stateless), so none can be retrieved, listed or deleted', 'response_id');
  };
  scope.get('/responses/:id', stateless);
  scope.delete('/responses/:id', stateless);
  scope.get('/responses/:id/input_items', stateless);
  scope.post('/responses/:id/cancel', stateless);

  scope.post('/responses', async (request, reply) => {
    const caller = apiCaller(request);
    const req = parseResponsesRequest(request.body);
    await deps.models.assertServed(req.params.model);
    const answer = await ApiAnswer.start(deps, caller, req.params);
    // A client that leaves (aborts) ends the answer and frees its slot at once.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) answer.abandon();
    });
    if (request.raw.socket?.destroyed) answer.abandon();
    const shape = new ResponseShape(req);

    if (!req.stream) {
      let text = '';
      let error: string | undefined;
      for await (const event of answer.read()) {
        if (event.type === 'token') text += event.text;
        else if (event.type === 'error') error = event.message;
      }
      if (error !== undefined) throw new OpenAiError(502, 'upstream_error', error);
      const { promptTokens, completionTokens, finishReason } = answer.result;
      const body = shape.response(finishReason === 'length' ? 'incomplete' : 'completed', { text, promptTokens, completionTokens });
      return reply.header('cache-control', 'no-store').send({ ...body, output_text: text });
    }

    let sequence = 0;
    const sse = (type: string, payload: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...payload })}\n\n`;
    const at = { item_id: shape.messageId, output_index: 0, content_index: 0 };
    async function* events(): AsyncGenerator<string> {
      yield sse('response.created', { response: shape.response('in_progress') });
      yield sse('response.in_progress', { response: shape.response('in_progress') });
      yield sse('response.output_item.added', { output_index: 0, item: shape.message('', 'in_progress') });
      yield sse('response.content_part.added', { ...at, part: shape.part('') });
      let text = '';
      let error: string | undefined;
      for await (const event of answer.read()) {
        if (event.type === 'token') {
          text += event.text;
          yield sse('response.output_text.delta', { ...at, delta: event.text, logprobs: [] });
        } else if (event.type === 'error') error = event.message;
      }
      const { promptTokens, completionTokens, finishReason } = answer.result;
      if (error !== undefined) {
        yield sse('response.failed', { response: shape.response('failed', { error, promptTokens, completionTokens }) });
        return;
      }
      const status = finishReason === 'length' ? 'incomplete' : 'completed';
      yield sse('response.output_text.done', { ...at, text, logprobs: [] });
      yield sse('response.content_part.done', { ...at, part: shape.part(text) });
      yield sse('response.output_item.done', { output_index: 0, item: shape.message(text, status) });
      yield sse(status === 'completed' ? 'response.completed' : 'response.incomplete', { response: shape.response(status, { text, promptTokens, completionTokens }) });
    }
    return reply.type('text/event-stream; charset=utf-8').header('cache-control', 'no-store').header('x-accel-buffering', 'no').send(Readable.from(events(), { objectMode: false }));
  });
}
