import type { GenerateBody, GenerationParams, RequestLimits } from '../generation/generation-params.js';
import { invalidRequest, range, validateGenerateBody } from '../generation/generation-params.js';

/** The part of an OpenAI `POST /v1/chat/completions` body this service honours. */
export interface ChatCompletionsBody {
  model?: string;
  messages?: Array<{ role?: unknown; content?: unknown }>;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean | null } | null;
  temperature?: number | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  top_k?: number | null;
  top_p?: number | null;
  stop?: string | string[] | null;
  seed?: number | null;
  n?: number | null;
  user?: string | null;
}

/** A validated OpenAI request. */
export interface ChatCompletionsRequest {
  params: GenerationParams;
  stream: boolean;
  includeUsage: boolean;
}

const ROLE_ALIASES: Record<string, string> = { system: 'system', developer: 'system', user: 'user', assistant: 'assistant' };

// OpenAI content may be a string or an array of parts; only text parts have a meaning here.
function textOf(content: unknown, field: string): unknown {
  if (!Array.isArray(content)) return content;
  return content
    .map((part: unknown, i) => {
      const p = part as { type?: unknown; text?: unknown } | null;
      if (p?.type !== 'text' || typeof p.text !== 'string') throw invalidRequest(`${field}[${i}] must be a text part ({"type":"text","text":"…"}); other content types are not supported`, `${field}[${i}]`);
      return p.text;
    })
    .join('');
}

/** Maps an OpenAI body onto the shared generation checks (same limits as `/generate`). */
export function parseChatCompletionsBody(body: ChatCompletionsBody, limits: RequestLimits): ChatCompletionsRequest {
  if (body.n != null && body.n !== 1) throw invalidRequest(`n must be 1 (one choice per request), got ${body.n}`, 'n');
  const messages = Array.isArray(body.messages)
    ? body.messages.map((m, i) => {
        const role = typeof m?.role === 'string' ? ROLE_ALIASES[m.role] : undefined;
        if (role === undefined) throw invalidRequest(`messages[${i}].role must be one of system, developer, user, assistant, got ${JSON.stringify(m?.role ?? null)}`, `messages[${i}].role`);
        return { role, content: textOf(m.content, `messages[${i}].content`) };
      })
    : body.messages;
  const shared: GenerateBody = { messages };
  // Checked under the name the caller used, so the error names the field that was sent.
  if (body.max_completion_tokens != null) range('max_completion_tokens', body.max_completion_tokens, 1, limits.maxTokensLimit, true);
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (maxTokens != null) shared.max_tokens = maxTokens;
  if (body.temperature != null) shared.temperature = body.temperature;
  if (body.top_k != null) shared.top_k = body.top_k;
  if (body.top_p != null) shared.top_p = body.top_p;
  if (body.stop != null) shared.stop = body.stop;
  if (body.seed != null) shared.seed = body.seed;
  if (body.model !== undefined) shared.model = body.model;
  return {
    params: validateGenerateBody(shared, limits),
    stream: body.stream === true,
    includeUsage: body.stream_options?.include_usage === true,
  };
}

const nullable = (type: string) => ({ type: [type, 'null'] });

/**
 * JSON schema of the body: types only; the checks above do the rest. Fields it does not name
 * are refused by {@link refuseUnknownFields} before it runs (Fastify's validator would
 * silently drop them: its ajv removes additional properties).
 */
export const chatCompletionsBodySchema = {
  type: 'object',
  required: ['messages'],
  properties: {
    model: { type: 'string' },
    messages: { type: 'array', items: { type: 'object', required: ['role', 'content'], properties: { role: { type: 'string' }, content: { type: ['string', 'array'] } } } },
    stream: nullable('boolean'),
    stream_options: { type: ['object', 'null'], properties: { include_usage: nullable('boolean') } },
    temperature: nullable('number'),
    max_tokens: nullable('integer'),
    max_completion_tokens: nullable('integer'),
    top_k: nullable('integer'),
    top_p: nullable('number'),
    stop: { type: ['string', 'array', 'null'], items: { type: 'string' } },
    seed: nullable('integer'),
    n: nullable('integer'),
    // OpenAI's end-user id: metadata that changes no answer, accepted as chat-api's /v1 does.
    user: nullable('string'),
  },
} as const;

const TOP_LEVEL = new Set(Object.keys(chatCompletionsBodySchema.properties));
const STREAM_OPTIONS = new Set(Object.keys(chatCompletionsBodySchema.properties.stream_options.properties));
const MESSAGE = new Set(Object.keys(chatCompletionsBodySchema.properties.messages.items.properties));

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function refuseOutside(value: unknown, known: ReadonlySet<string>, prefix: string): void {
  if (!isObject(value)) return;
  for (const key of Object.keys(value)) {
    if (known.has(key)) continue;
    const name = prefix ? `${prefix}.${key}` : key;
    throw invalidRequest(`${name} is not supported: this endpoint does not recognise it (nothing is silently ignored)`, name);
  }
}

/**
 * A 400 naming the first field of the body (top level, `stream_options`, `messages[i]`) this
 * endpoint does not know, e.g. `tools` or `logprobs`: no parameter is silently ignored
 * (README "Use the API"). Runs before schema validation, which would drop such fields.
 */
export function refuseUnknownFields(body: unknown): void {
  if (!isObject(body)) return;
  refuseOutside(body, TOP_LEVEL, '');
  refuseOutside(body.stream_options, STREAM_OPTIONS, 'stream_options');
  if (Array.isArray(body.messages)) body.messages.forEach((m, i) => refuseOutside(m, MESSAGE, `messages[${i}]`));
}
