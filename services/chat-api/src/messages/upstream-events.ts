/** What chat-api reads out of one inference event (everything else is forwarded untouched). */
export interface UpstreamEvent {
  token?: string;
  error?: string;
  /** The error event's code (inference's registry, e.g. INFERENCE_UPSTREAM_REFUSED), when it has one. */
  code?: string;
  /** Seconds to wait before retrying, when inference passed an upstream's Retry-After on. */
  retryAfter?: number;
  done?: boolean;
  /** Output tokens, when inference reports usage. */
  outputTokens?: number;
  /** The model that answered, when inference says. */
  model?: string;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/**
 * Interprets an event's data: `{"token": "…"}`, `{"error": "…"}`, `{"done": true}`, plus the
 * optional `usage` (`completion_tokens` or `output_tokens`) and `model` fields. Data that is
 * not a JSON object means nothing to chat-api (it is still forwarded).
 */
export function readUpstreamEvent(data: string | undefined): UpstreamEvent {
  if (data === undefined || !data.startsWith('{')) return {};
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(data) as Record<string, unknown>;
  } catch {
    return {};
  }
  if (parsed === null || typeof parsed !== 'object') return {};
  const event: UpstreamEvent = {};
  if (typeof parsed.token === 'string') event.token = parsed.token;
  if (typeof parsed.error === 'string') event.error = parsed.error;
  else if (parsed.error !== undefined && parsed.error !== null) event.error = JSON.stringify(parsed.error);
  if (event.error !== undefined) {
    if (typeof parsed.code === 'string' && /^[A-Z0-9_]{1,64}$/.test(parsed.code)) event.code = parsed.code;
    const retryAfter = count(parsed.retry_after);
    if (retryAfter !== undefined) event.retryAfter = Math.min(3600, Math.max(1, retryAfter));
  }
  if (parsed.done === true) event.done = true;
  const usage = parsed.usage as Record<string, unknown> | undefined;
  const output = count(usage?.completion_tokens) ?? count(usage?.output_tokens) ?? count(parsed.output_tokens);
  if (output !== undefined) event.outputTokens = output;
  if (typeof parsed.model === 'string' && parsed.model.length > 0 && parsed.model.length <= 200) event.model = parsed.model;
  return event;
}

/** The bytes of one `data:` event chat-api writes itself. */
export function sseEvent(payload: Record<string, unknown>): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}
