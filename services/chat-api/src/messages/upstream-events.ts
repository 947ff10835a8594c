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

/** Where {@link readTokenEvent} puts a token: its UTF-8 bytes (with its length in UTF-16 units), or its text. */
export interface TokenSink {
  addBytes(source: Buffer, from: number, to: number, length: number): void;
  add(token: string): void;
}

// `data: {"token":"` — the prefix of inference's token events (services/inference/src/routes/generate.ts).
const TOKEN_PREFIX = Buffer.from('data: {"token":"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const CLOSE_BRACE = 0x7d;
const LF = 0x0a;

/**
 * The hot path of the relay: when `buf[start, end)` is exactly a token event as inference
 * writes it (`data: {"token":"…"}` and a blank line, nothing else), hands the token to `sink`
 * straight from the bytes — no string for the event, no JSON object — and returns true; any
 * other event returns false (read it with {@link readUpstreamEvent}). A token with escapes is
 * decoded with JSON.parse (its string literal only).
 */
export function readTokenEvent(buf: Buffer, start: number, end: number, sink: TokenSink): boolean {
  const p = TOKEN_PREFIX.length;
  // The shortest: the prefix, the closing `"}` and `\n\n`.
  if (end - start < p + 4 || buf[end - 1] !== LF || buf[end - 2] !== LF || buf[end - 3] !== CLOSE_BRACE || buf[end - 4] !== QUOTE) return false;
  for (let k = 0; k < p; k++) if (buf[start + k] !== TOKEN_PREFIX[k]) return false;
  const from = start + p;
  const to = end - 4;
  let escaped = false;
  let length = 0;
  for (let i = from; i < to; i++) {
    const b = buf[i] as number;
    if (b === BACKSLASH) {
      escaped = true;
      i++;
      continue;
    }
    // A quote before the end: more than one member, or not this shape at all.
    if (b === QUOTE || b < 0x20) return false;
    // UTF-16 length of the UTF-8 text: one unit per character, two for the 4-byte ones.
    if ((b & 0xc0) !== 0x80) length += b >= 0xf0 ? 2 : 1;
  }
  if (!escaped) {
    sink.addBytes(buf, from, to, length);
    return true;
  }
  let token: unknown;
  try {
    token = JSON.parse(buf.toString('utf8', from - 1, to + 1));
  } catch {
    return false;
  }
  if (typeof token !== 'string') return false;
  sink.add(token);
  return true;
}
