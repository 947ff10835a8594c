import type { Readable } from 'node:stream';
import { SseParser } from '../messages/sse-parser.js';

/** One event of inference's `/generate` stream, as the OpenAI-compatible API reads it. */
export type GenerationEvent =
  | { type: 'token'; text: string }
  | { type: 'tool_calls'; toolCalls: unknown[] }
  | { type: 'error'; message: string }
  | { type: 'done'; promptTokens?: number; completionTokens?: number; finishReason?: string; model?: string };

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** Reads one `data:` payload of `/generate` (docs/api.md): token, tool-call deltas, error or done. */
export function parseGenerationEvent(data: string | undefined): GenerationEvent | undefined {
  if (data === undefined || !data.startsWith('{')) return undefined;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(data) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof parsed.token === 'string') return { type: 'token', text: parsed.token };
  if (Array.isArray(parsed.tool_calls)) return { type: 'tool_calls', toolCalls: parsed.tool_calls };
  if (parsed.error !== undefined && parsed.error !== null) return { type: 'error', message: typeof parsed.error === 'string' ? parsed.error : JSON.stringify(parsed.error) };
  if (parsed.done === true) {
    const usage = (parsed.usage ?? {}) as Record<string, unknown>;
    const event: GenerationEvent = { type: 'done' };
    const prompt = count(usage.prompt_tokens);
    const completion = count(usage.completion_tokens);
    if (prompt !== undefined) event.promptTokens = prompt;
    if (completion !== undefined) event.completionTokens = completion;
    if (typeof parsed.finish_reason === 'string') event.finishReason = parsed.finish_reason;
    if (typeof parsed.model === 'string' && parsed.model.length <= 200) event.model = parsed.model;
    return event;
  }
  return undefined;
}

/**
 * The events of a `/generate` body, in order, ending with `done` (a stream that ends without
 * one yields an error first). Leaving the loop early destroys the body, which stops inference.
 */
export async function* generationEvents(body: Readable): AsyncGenerator<GenerationEvent> {
  const parser = new SseParser();
  let done = false;
  try {
    for await (const chunk of body) {
      for (const raw of parser.push(chunk as Buffer)) {
        const event = parseGenerationEvent(raw.data);
        if (!event) continue;
        yield event;
        if (event.type === 'done') {
          done = true;
          return;
        }
      }
    }
  } catch (err) {
    if (!done) yield { type: 'error', message: `the inference stream failed: ${(err as Error).message}` };
    yield { type: 'done' };
    return;
  } finally {
    if (!body.destroyed) {
      body.on('error', () => undefined);
      body.destroy();
    }
  }
  yield { type: 'error', message: 'inference ended the stream before the answer was done' };
  yield { type: 'done' };
}
