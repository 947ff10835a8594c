import type { GenerateMessage, GenerateParams } from '../messages/inference-client.js';
import { invalidParam, OpenAiError, unsupportedParam } from './openai-errors.js';
import { objectBody, optionalBoolean, optionalNumber, refuseUnhonoured, refuseUnknown, requiredModel } from './request-checks.js';

/** Parameters of `/v1/responses` no engine here honours: a 400 naming them unless neutral. */
const UNHONOURED = ['top_logprobs', 'reasoning', 'background', 'conversation', 'max_tool_calls', 'prompt', 'context_management', 'tools'];
// Accepted and meaningless for a stateless text API: who asks, cache hints, labels.
const ACCEPTED = ['user', 'metadata', 'store', 'service_tier', 'safety_identifier', 'prompt_cache_key', 'prompt_cache_retention', 'prompt_cache_options', 'parallel_tool_calls', 'truncation', 'tool_choice'];
const KNOWN = new Set([...UNHONOURED, ...ACCEPTED, 'model', 'input', 'instructions', 'stream', 'stream_options', 'temperature', 'top_p', 'max_output_tokens', 'text', 'include', 'previous_response_id']);
const ROLES: Record<string, GenerateMessage['role']> = { system: 'system', developer: 'system', user: 'user', assistant: 'assistant' };
const TEXT_PARTS = new Set(['input_text', 'output_text', 'text']);

/** A `/v1/responses` request, validated. */
export interface ResponsesRequest {
  params: GenerateParams & { model: string };
  stream: boolean;
  /** Echoed in the response object, as OpenAI does. */
  echo: { instructions: string | null; temperature: number | null; top_p: number | null; max_output_tokens: number | null; metadata: Record<string, unknown>; store: boolean };
}

function contentText(content: unknown, field: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalidParam(field, `${field} must be a string or an array of input_text parts`, 'invalid_type');
  return content
    .map((part: unknown, i) => {
      const p = part as { type?: unknown; text?: unknown } | null;
      if (typeof p?.type !== 'string' || !TEXT_PARTS.has(p.type) || typeof p.text !== 'string') throw unsupportedParam(`${field}[${i}]`, 'only text parts ({"type":"input_text","text":"…"}) are supported');
      return p.text;
    })
    .join('');
}

function parseInput(input: unknown): GenerateMessage[] {
  if (typeof input === 'string') {
    if (input.trim() === '') throw invalidParam('input', 'input is empty');
    return [{ role: 'user', content: input }];
  }
  if (!Array.isArray(input) || input.length === 0) throw invalidParam('input', 'input is required: a string or a non-empty array of messages', input === undefined ? 'missing_required_parameter' : 'invalid_value');
  return input.map((item: unknown, i) => {
    const m = (item ?? {}) as Record<string, unknown>;
    if (m.type !== undefined && m.type !== 'message') throw unsupportedParam(`input[${i}].type`, `only message items are supported, got ${JSON.stringify(m.type)} (this API serves text)`);
    const role = typeof m.role === 'string' ? ROLES[m.role] : undefined;
    if (!role) throw invalidParam(`input[${i}].role`, `input[${i}].role must be one of system, developer, user, assistant, got ${JSON.stringify(m.role ?? null)}`);
    return { role, content: contentText(m.content, `input[${i}].content`) };
  });
}

/**
 * Checks a `/v1/responses` body. The API is stateless (README "Use the API"): `store` is
 * accepted (nothing is kept either way), `previous_response_id` is a 400 naming it.
 */
export function parseResponsesRequest(rawBody: unknown): ResponsesRequest {
  const body = objectBody(rawBody);
  refuseUnknown(body, KNOWN);
  if (body.previous_response_id !== undefined && body.previous_response_id !== null) {
    throw new OpenAiError(400, 'unsupported_parameter', 'previous_response_id is not supported: this API is stateless and keeps no responses; send the whole conversation in input', 'previous_response_id');
  }
  if (Array.isArray(body.tools) && body.tools.length === 0) delete body.tools;
  refuseUnhonoured(body, UNHONOURED);
  if (Array.isArray(body.include) && body.include.length > 0) throw unsupportedParam('include', 'no extra output data is available');
  const model = requiredModel(body);
  const messages = parseInput(body.input);
  const instructions = body.instructions;
  if (instructions !== undefined && instructions !== null && typeof instructions !== 'string') throw invalidParam('instructions', 'instructions must be a string', 'invalid_type');
  if (typeof instructions === 'string' && instructions.trim() !== '') messages.unshift({ role: 'system', content: instructions });
  const params: ResponsesRequest['params'] = { model, messages };
  const temperature = optionalNumber(body, 'temperature', 0, 2);
  if (temperature !== undefined) params.temperature = temperature;
  const topP = optionalNumber(body, 'top_p', 0, 1);
  if (topP !== undefined) params.top_p = topP;
  const maxTokens = optionalNumber(body, 'max_output_tokens', 1, 1_000_000, true);
  if (maxTokens !== undefined) params.max_tokens = maxTokens;
  const format = (body.text as { format?: { type?: unknown } } | null | undefined)?.format;
  if (format && format.type !== 'text') throw unsupportedParam('text.format', 'this endpoint answers plain text; use /v1/chat/completions with response_format on an engine that supports it');
  optionalBoolean(body, 'store');
  const stream = optionalBoolean(body, 'stream') === true;
  return {
    params,
    stream,
    echo: {
      instructions: typeof instructions === 'string' ? instructions : null,
      temperature: temperature ?? null,
      top_p: topP ?? null,
      max_output_tokens: maxTokens ?? null,
      metadata: typeof body.metadata === 'object' && body.metadata !== null ? (body.metadata as Record<string, unknown>) : {},
      // Nothing is stored, whatever was asked: the echo says so.
      store: false,
    },
  };
}
