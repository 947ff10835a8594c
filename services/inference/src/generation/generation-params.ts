import type { AppError } from '@samosachaat/service-kit';
import type { ChatMessage, EngineCapabilities } from '../engines/engine.js';
import { INFERENCE_ERRORS } from '../errors.js';

/** A generation request after validation, shared by `/generate` and `/v1/chat/completions`. */
export interface GenerationParams {
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
  stop?: string[];
  /** OpenAI tool and format parameters, passed through to engines that support them. */
  tools?: unknown[];
  toolChoice?: unknown;
  parallelToolCalls?: boolean;
  responseFormat?: unknown;
  /** The model the caller asked for; undefined = whatever is loaded. */
  model?: string;
}

/** The configurable bounds of a request. */
export interface RequestLimits {
  maxMessages: number;
  maxContentChars: number;
  maxTokensLimit: number;
}

/** The body of `POST /generate`, as the schema lets it through. */
export interface GenerateBody {
  messages?: Array<{ role?: unknown; content?: unknown; tool_calls?: unknown; tool_call_id?: unknown }>;
  temperature?: number;
  max_tokens?: number;
  top_k?: number;
  top_p?: number;
  stop?: string | string[];
  model?: string;
  seed?: number;
  /** `/generate` only: put the usage and finish reason on the final `done` event. */
  include_usage?: boolean;
  tools?: unknown[];
  tool_choice?: unknown;
  parallel_tool_calls?: boolean;
  response_format?: unknown;
}

const ROLES = new Set(['system', 'user', 'assistant', 'tool']);
const MAX_TOOLS = 128;
const MAX_MODEL_CHARS = 200;
const MAX_STOP = 4;
const MAX_STOP_CHARS = 200;

/** A 400 naming the field; `param` is the field, for OpenAI-shaped errors. */
export function invalidRequest(message: string, param?: string): AppError {
  return Object.assign(INFERENCE_ERRORS.INFERENCE_INVALID_REQUEST(message), { param: param ?? null });
}

export function range(name: string, value: number | undefined, min: number, max: number, integer: boolean): void {
  if (value === undefined) return;
  if (integer && !Number.isInteger(value)) throw invalidRequest(`${name} must be a whole number, got ${value}`, name);
  if (!(value >= min && value <= max)) throw invalidRequest(`${name} must be between ${min} and ${max}, got ${value}`, name);
}

/**
 * The checks a JSON schema expresses poorly or that depend on configuration: counts, sizes,
 * blank content and parameter ranges. Each failure is a 400 whose message names the field.
 */
export function validateGenerateBody(body: GenerateBody, limits: RequestLimits): GenerationParams {
  const messages = body.messages;
  if (!Array.isArray(messages)) throw invalidRequest('messages is required: an array of {role, content}', 'messages');
  if (messages.length === 0) throw invalidRequest('messages is empty: send at least one message', 'messages');
  if (messages.length > limits.maxMessages) throw invalidRequest(`messages has ${messages.length} entries; at most ${limits.maxMessages} are allowed`, 'messages');
  const out: ChatMessage[] = [];
  messages.forEach((m, i) => {
    const field = `messages[${i}]`;
    if (typeof m?.role !== 'string' || !ROLES.has(m.role)) throw invalidRequest(`${field}.role must be one of system, user, assistant, tool, got ${JSON.stringify(m?.role ?? null)}`, `${field}.role`);
    const toolCalls = Array.isArray(m.tool_calls) && m.tool_calls.length > 0 ? m.tool_calls : undefined;
    if (toolCalls && m.role !== 'assistant') throw invalidRequest(`${field}.tool_calls is only allowed on an assistant message`, `${field}.tool_calls`);
    // An assistant message that only calls tools has no text.
    const content = m.content === null && toolCalls ? '' : m.content;
    if (typeof content !== 'string') throw invalidRequest(`${field}.content must be a string`, `${field}.content`);
    if (content.trim() === '' && !toolCalls) throw invalidRequest(`${field}.content is empty`, `${field}.content`);
    if (content.length > limits.maxContentChars) {
      throw invalidRequest(`${field}.content has ${content.length} characters; at most ${limits.maxContentChars} are allowed`, `${field}.content`);
    }
    const message: ChatMessage = { role: m.role as ChatMessage['role'], content };
    if (toolCalls) message.toolCalls = toolCalls;
    if (m.role === 'tool') {
      if (typeof m.tool_call_id !== 'string' || m.tool_call_id === '') throw invalidRequest(`${field}.tool_call_id is required on a tool message`, `${field}.tool_call_id`);
      message.toolCallId = m.tool_call_id;
    }
    out.push(message);
  });
  range('temperature', body.temperature, 0, 2, false);
  range('max_tokens', body.max_tokens, 1, limits.maxTokensLimit, true);
  range('top_k', body.top_k, 1, 1000, true);
  range('top_p', body.top_p, 0, 1, false);
  const stop = body.stop === undefined ? undefined : typeof body.stop === 'string' ? [body.stop] : body.stop;
  if (stop !== undefined) {
    if (stop.length > MAX_STOP || stop.some((s) => typeof s !== 'string' || s === '' || s.length > MAX_STOP_CHARS)) {
      throw invalidRequest(`stop must be a string or an array of at most ${MAX_STOP} non-empty strings of at most ${MAX_STOP_CHARS} characters`, 'stop');
    }
  }
  if (body.seed !== undefined && !Number.isSafeInteger(body.seed)) throw invalidRequest(`seed must be a whole number, got ${body.seed}`, 'seed');
  if (body.model !== undefined && (body.model.trim() === '' || body.model.length > MAX_MODEL_CHARS)) {
    throw invalidRequest(`model must be a model id of 1 to ${MAX_MODEL_CHARS} characters`, 'model');
  }
  const params: GenerationParams = { messages: out };
  if (body.max_tokens !== undefined) params.maxTokens = body.max_tokens;
  if (body.temperature !== undefined) params.temperature = body.temperature;
  if (body.top_k !== undefined) params.topK = body.top_k;
  if (body.top_p !== undefined) params.topP = body.top_p;
  if (stop !== undefined && stop.length > 0) params.stop = stop;
  if (body.seed !== undefined) params.seed = body.seed;
  if (body.model !== undefined) params.model = body.model;
  if (body.tools !== undefined && body.tools.length > 0) {
    if (body.tools.length > MAX_TOOLS) throw invalidRequest(`tools has ${body.tools.length} entries; at most ${MAX_TOOLS} are allowed`, 'tools');
    params.tools = body.tools;
  }
  if (body.tool_choice !== undefined) params.toolChoice = body.tool_choice;
  if (body.parallel_tool_calls !== undefined) params.parallelToolCalls = body.parallel_tool_calls;
  if (body.response_format !== undefined) params.responseFormat = body.response_format;
  return params;
}

/**
 * Refuses what the engine cannot honour, naming the parameter (README "Use the API"): never a
 * generation that silently drops `top_p`, `stop` or the caller's tools.
 */
export function assertEngineHonours(params: GenerationParams, engineId: string, can: EngineCapabilities): void {
  const refuse = (param: string) => {
    throw invalidRequest(`${param} is not supported by the ${engineId} engine; leave it out or serve a model with ENGINE=openai`, param);
  };
  if (params.topP !== undefined && params.topP !== 1 && !can.topP) refuse('top_p');
  if (params.topK !== undefined && !can.topK) refuse('top_k');
  if (params.stop !== undefined && !can.stop) refuse('stop');
  if (params.seed !== undefined && !can.seed) refuse('seed');
  if (!can.tools) {
    if (params.tools !== undefined) refuse('tools');
    if (params.toolChoice !== undefined && params.toolChoice !== 'none') refuse('tool_choice');
    params.messages.forEach((m, i) => {
      if (m.role === 'tool') refuse(`messages[${i}].role`);
      if (m.toolCalls) refuse(`messages[${i}].tool_calls`);
    });
  }
  if (params.responseFormat !== undefined && !can.responseFormat) refuse('response_format');
}

/** The JSON schema of `POST /generate`: structure and types; ranges are checked above. */
export const generateBodySchema = {
  type: 'object',
  required: ['messages'],
  properties: {
    messages: {
      type: 'array',
      items: {
        type: 'object',
        required: ['role', 'content'],
        properties: {
          role: { type: 'string', enum: ['system', 'user', 'assistant', 'tool'] },
          content: { type: ['string', 'null'] },
          tool_calls: { type: 'array', items: { type: 'object' } },
          tool_call_id: { type: 'string' },
        },
      },
    },
    temperature: { type: 'number' },
    max_tokens: { type: 'integer' },
    top_k: { type: 'integer' },
    top_p: { type: 'number' },
    stop: { type: ['string', 'array'], items: { type: 'string' } },
    model: { type: 'string' },
    seed: { type: 'integer' },
    include_usage: { type: 'boolean' },
    tools: { type: 'array', items: { type: 'object' } },
    tool_choice: { type: ['string', 'object'] },
    parallel_tool_calls: { type: 'boolean' },
    response_format: { type: 'object' },
  },
} as const;
