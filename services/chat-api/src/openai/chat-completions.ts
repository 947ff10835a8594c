import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { GenerateMessage, GenerateParams } from '../messages/inference-client.js';
import { ApiAnswer, type ApiAnswerDeps } from './api-answer.js';
import { apiCaller } from './api-key-guard.js';
import { invalidParam, OpenAiError, unsupportedParam } from './openai-errors.js';
import { objectBody, optionalBoolean, optionalNumber, optionalStop, refuseUnhonoured, refuseUnknown, requiredModel } from './request-checks.js';

/** Parameters no engine honours: a 400 naming them unless neutral. */
const UNHONOURED = ['logprobs', 'top_logprobs', 'frequency_penalty', 'presence_penalty', 'logit_bias', 'audio', 'modalities', 'prediction', 'web_search_options', 'reasoning_effort', 'functions', 'function_call'];
const KNOWN = new Set([
  ...UNHONOURED,
  'model', 'messages', 'stream', 'stream_options', 'temperature', 'top_p', 'top_k', 'max_tokens', 'max_completion_tokens', 'stop', 'seed', 'n',
  'user', 'store', 'metadata', 'service_tier', 'tools', 'tool_choice', 'parallel_tool_calls', 'response_format',
]);
const ROLES: Record<string, GenerateMessage['role']> = { system: 'system', developer: 'system', user: 'user', assistant: 'assistant', tool: 'tool' };

/** A `/v1/chat/completions` request, validated. */
export interface ChatCompletionRequest {
  params: GenerateParams & { model: string };
  stream: boolean;
  includeUsage: boolean;
}

function textOf(content: unknown, field: string): string | null {
  if (content === null || content === undefined) return null;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalidParam(field, `${field} must be a string or an array of text parts`, 'invalid_type');
  return content
    .map((part: unknown, i) => {
      const p = part as { type?: unknown; text?: unknown } | null;
      if (p?.type !== 'text' || typeof p.text !== 'string') throw unsupportedParam(`${field}[${i}]`, 'only text parts ({"type":"text","text":"…"}) are supported');
      return p.text;
    })
    .join('');
}

function parseMessages(raw: unknown): GenerateMessage[] {
  if (!Array.isArray(raw) || raw.length === 0) throw invalidParam('messages', 'messages is required: a non-empty array of {role, content}', raw === undefined ? 'missing_required_parameter' : 'invalid_value');
  return raw.map((m: unknown, i) => {
    const msg = (m ?? {}) as Record<string, unknown>;
    const role = typeof msg.role === 'string' ? ROLES[msg.role] : undefined;
    if (!role) throw invalidParam(`messages[${i}].role`, `messages[${i}].role must be one of system, developer, user, assistant, tool, got ${JSON.stringify(msg.role ?? null)}`);
    const out: GenerateMessage = { role, content: textOf(msg.content, `messages[${i}].content`) };
    if (msg.tool_calls !== undefined && msg.tool_calls !== null) {
      if (role !== 'assistant' || !Array.isArray(msg.tool_calls)) throw invalidParam(`messages[${i}].tool_calls`, `messages[${i}].tool_calls must be an array on an assistant message`);
      if (msg.tool_calls.length > 0) out.tool_calls = msg.tool_calls;
    }
    if (role === 'tool') {
      if (typeof msg.tool_call_id !== 'string' || msg.tool_call_id === '') throw invalidParam(`messages[${i}].tool_call_id`, `messages[${i}].tool_call_id is required on a tool message`);
      out.tool_call_id = msg.tool_call_id;
    }
    if (out.content === null && !out.tool_calls) throw invalidParam(`messages[${i}].content`, `messages[${i}].content is required`);
    return out;
  });
}

/** Checks a body against OpenAI's chat completions parameters; refuses what cannot be honoured by name. */
export function parseChatCompletion(rawBody: unknown): ChatCompletionRequest {
  const body = objectBody(rawBody);
  refuseUnknown(body, KNOWN);
  refuseUnhonoured(body, UNHONOURED);
  const model = requiredModel(body);
  const n = optionalNumber(body, 'n', 1, 128, true);
  if (n !== undefined && n !== 1) throw unsupportedParam('n', `one choice per request (n must be 1, got ${n})`);
  const params: ChatCompletionRequest['params'] = { model, messages: parseMessages(body.messages) };
  const temperature = optionalNumber(body, 'temperature', 0, 2);
  if (temperature !== undefined) params.temperature = temperature;
  const topP = optionalNumber(body, 'top_p', 0, 1);
  if (topP !== undefined) params.top_p = topP;
  const maxCompletion = optionalNumber(body, 'max_completion_tokens', 1, 1_000_000, true);
  const maxTokens = maxCompletion ?? optionalNumber(body, 'max_tokens', 1, 1_000_000, true);
  if (maxTokens !== undefined) params.max_tokens = maxTokens;
  const stop = optionalStop(body);
  if (stop) params.stop = stop;
  const seed = optionalNumber(body, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
  if (seed !== undefined) params.seed = seed;
  if (body.top_k !== undefined && body.top_k !== null) throw unsupportedParam('top_k', 'not an OpenAI parameter; use top_p');
  optionalBoolean(body, 'store');
  const tools = body.tools;
  if (tools !== undefined && tools !== null) {
    if (!Array.isArray(tools)) throw invalidParam('tools', 'tools must be an array of tool definitions', 'invalid_type');
    if (tools.length > 0) params.tools = tools;
  }
  if (body.tool_choice !== undefined && body.tool_choice !== null) {
    if (!params.tools && body.tool_choice !== 'none') throw invalidParam('tool_choice', 'tool_choice needs tools');
    if (params.tools) params.tool_choice = body.tool_choice;
  }
  const parallel = optionalBoolean(body, 'parallel_tool_calls');
  if (parallel !== undefined && params.tools) params.parallel_tool_calls = parallel;
  const format = body.response_format as { type?: unknown } | null | undefined;
  if (format !== undefined && format !== null) {
    if (typeof format !== 'object' || typeof format.type !== 'string') throw invalidParam('response_format', 'response_format must be {"type": "text" | "json_object" | "json_schema", …}');
    if (format.type !== 'text') params.response_format = format;
  }
  const options = body.stream_options as { include_usage?: unknown } | null | undefined;
  const stream = optionalBoolean(body, 'stream') === true;
  if (options !== undefined && options !== null && !stream) throw invalidParam('stream_options', 'stream_options is only allowed with stream: true');
  return { params, stream, includeUsage: options?.include_usage === true };
}

function usageOf(promptTokens: number, completionTokens: number) {
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

function finishReason(reason: string, sawToolCalls: boolean): string {
  if (sawToolCalls) return 'tool_calls';
  return reason === 'length' || reason === 'tool_calls' || reason === 'content_filter' ? reason : 'stop';
}

/** What the route checks a model against. */
export interface ModelCheck {
  assertServed(model: string): Promise<void>;
}

/** `POST /v1/chat/completions`, streamed (`chat.completion.chunk` events, `[DONE]`) or whole. */
export function registerChatCompletions(scope: FastifyInstance, deps: ApiAnswerDeps & { models: ModelCheck }): void {
  scope.post('/chat/completions', async (request, reply) => {
    const caller = apiCaller(request);
    const req = parseChatCompletion(request.body);
    await deps.models.assertServed(req.params.model);
    const answer = await ApiAnswer.start(deps, caller, req.params);
    // A client that leaves (aborts) ends the answer and frees its slot at once.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) answer.abandon();
    });
    if (request.raw.socket?.destroyed) answer.abandon();
    const id = `chatcmpl-${randomUUID().replace(/-/g, '')}`;
    const created = Math.floor(Date.now() / 1000);
    const model = req.params.model;

    if (!req.stream) {
      let content = '';
      let error: string | undefined;
      const toolCalls = new Map<number, { id?: string; type: string; function: { name: string; arguments: string } }>();
      for await (const event of answer.read()) {
        if (event.type === 'token') content += event.text;
        else if (event.type === 'error') error = event.message;
        else if (event.type === 'tool_calls') mergeToolCalls(toolCalls, event.toolCalls);
      }
      if (error !== undefined) throw new OpenAiError(502, 'upstream_error', error);
      const { promptTokens, completionTokens, finishReason: reason } = answer.result;
      const message: Record<string, unknown> = { role: 'assistant', content: toolCalls.size > 0 && content === '' ? null : content, refusal: null };
      if (toolCalls.size > 0) message.tool_calls = [...toolCalls.values()];
      return reply.header('cache-control', 'no-store').send({
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(reason, toolCalls.size > 0) }],
        usage: usageOf(promptTokens, completionTokens),
      });
    }

    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
    async function* events(): AsyncGenerator<string> {
      yield chunk({ role: 'assistant', content: '' });
      let sawToolCalls = false;
      let error: string | undefined;
      for await (const event of answer.read()) {
        if (event.type === 'token') yield chunk({ content: event.text });
        else if (event.type === 'tool_calls') {
          sawToolCalls = true;
          yield chunk({ tool_calls: event.toolCalls });
        } else if (event.type === 'error') error = event.message;
      }
      const { promptTokens, completionTokens, finishReason: reason } = answer.result;
      if (error !== undefined) {
        // OpenAI's own mid-stream failure: an error object in place of the next chunk.
        yield `data: ${JSON.stringify({ error: { message: error, type: 'server_error', param: null, code: 'upstream_error' } })}\n\n`;
      } else {
        yield chunk({}, finishReason(reason, sawToolCalls));
        if (req.includeUsage) yield `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: usageOf(promptTokens, completionTokens) })}\n\n`;
      }
      yield 'data: [DONE]\n\n';
    }
    return reply.type('text/event-stream; charset=utf-8').header('cache-control', 'no-store').header('x-accel-buffering', 'no').send(Readable.from(events(), { objectMode: false }));
  });
}

/** Joins streamed tool-call deltas (by `index`) into whole tool calls, for a non-streamed answer. */
export function mergeToolCalls(into: Map<number, { id?: string; type: string; function: { name: string; arguments: string } }>, deltas: unknown[]): void {
  for (const raw of deltas) {
    const d = raw as { index?: unknown; id?: unknown; type?: unknown; function?: { name?: unknown; arguments?: unknown } };
    const index = typeof d.index === 'number' ? d.index : into.size;
    const call = into.get(index) ?? { type: 'function', function: { name: '', arguments: '' } };
    if (typeof d.id === 'string') call.id = d.id;
    if (typeof d.type === 'string') call.type = d.type;
    if (typeof d.function?.name === 'string') call.function.name += d.function.name;
    if (typeof d.function?.arguments === 'string') call.function.arguments += d.function.arguments;
    into.set(index, call);
  }
}
