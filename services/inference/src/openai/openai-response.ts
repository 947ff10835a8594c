import { randomUUID } from 'node:crypto';
import type { FinishReason } from '../engines/engine.js';

/** OpenAI's `usage` object. */
export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** Builds the objects of one OpenAI chat completion (streamed chunks or the whole answer). */
export class CompletionShape {
  readonly id = `chatcmpl-${randomUUID().replace(/-/g, '')}`;
  readonly created = Math.floor(Date.now() / 1000);

  constructor(readonly model: string) {}

  /** A `chat.completion.chunk` carrying a delta, or the final one with its finish reason. */
  chunk(delta: { role?: 'assistant'; content?: string }, finishReason: FinishReason | null = null) {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [{ index: 0, delta, finish_reason: finishReason }] };
  }

  /** The usage chunk sent when `stream_options.include_usage` is true (no choices). */
  usageChunk(usage: OpenAiUsage) {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [], usage };
  }

  /** The non-streamed `chat.completion`. */
  completion(content: string, finishReason: FinishReason, usage: OpenAiUsage) {
    return {
      id: this.id,
      object: 'chat.completion',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason }],
      usage,
    };
  }
}

/** OpenAI's usage object from token counts. */
export function usageOf(promptTokens: number, completionTokens: number): OpenAiUsage {
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

/** OpenAI's error `type` for an HTTP status. */
export function openAiErrorType(status: number): string {
  if (status === 401 || status === 403) return 'authentication_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/**
 * The error body of the OpenAI-compatible API: `{"error":{"message","type","code","param"}}`,
 * OpenAI's shape rather than the samosaChaat envelope, so OpenAI clients can read it. `code`
 * carries the same stable code the envelope would.
 */
export function openAiError(status: number, code: string, message: string, param: string | null = null) {
  return { error: { message, type: openAiErrorType(status), code, param } };
}
