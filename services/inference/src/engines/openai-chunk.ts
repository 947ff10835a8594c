import { redactedExcerpt } from '@samosachaat/observability';
import { UpstreamError, type FinishReason } from './engine.js';

/** What one `chat.completion.chunk` of an upstream stream carries. */
export interface ParsedChunk {
  content?: string;
  /** `delta.tool_calls`, unchanged. */
  toolCalls?: unknown[];
  finishReason?: FinishReason;
  promptTokens?: number;
  completionTokens?: number;
  model?: string;
}

interface RawChunk {
  model?: unknown;
  choices?: Array<{ delta?: { content?: unknown; tool_calls?: unknown }; finish_reason?: unknown }>;
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null;
  error?: unknown;
}

const EXCERPT = 120;

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

function upstreamErrorMessage(error: unknown): string {
  if (typeof error === 'string') return error;
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : redactedExcerpt(JSON.stringify(error), EXCERPT);
}

/**
 * Reads the `data:` of one upstream event: content delta, finish reason, usage (sent by
 * servers that honour `stream_options.include_usage`, in a last chunk with no choices).
 * Malformed JSON and in-stream `error` objects become an UpstreamError.
 */
export function parseStreamChunk(data: string): ParsedChunk {
  let raw: RawChunk;
  try {
    raw = JSON.parse(data) as RawChunk;
  } catch {
    throw new UpstreamError(`upstream sent a malformed stream chunk: ${JSON.stringify(redactedExcerpt(data, EXCERPT))}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UpstreamError(`upstream sent a malformed stream chunk: ${JSON.stringify(redactedExcerpt(data, EXCERPT))}`);
  }
  if (raw.error !== undefined && raw.error !== null) throw new UpstreamError(`upstream reported an error mid-stream: ${upstreamErrorMessage(raw.error)}`);
  const out: ParsedChunk = {};
  if (typeof raw.model === 'string' && raw.model) out.model = raw.model;
  const choice = Array.isArray(raw.choices) ? raw.choices[0] : undefined;
  if (choice) {
    const content = choice.delta?.content;
    if (typeof content === 'string' && content.length > 0) out.content = content;
    const toolCalls = choice.delta?.tool_calls;
    if (Array.isArray(toolCalls) && toolCalls.length > 0) out.toolCalls = toolCalls;
    const finish = choice.finish_reason;
    if (typeof finish === 'string' && finish) out.finishReason = finish === 'length' ? 'length' : finish === 'tool_calls' ? 'tool_calls' : 'stop';
  }
  if (raw.usage) {
    const prompt = count(raw.usage.prompt_tokens);
    const completion = count(raw.usage.completion_tokens);
    if (prompt !== undefined) out.promptTokens = prompt;
    if (completion !== undefined) out.completionTokens = completion;
  }
  return out;
}
