import type { Readable } from 'node:stream';
import { redactedExcerpt } from '@samosachaat/observability';
import type { Dispatcher } from 'undici';
import type { UpstreamFailure } from '../metrics.js';
import { describeNetworkError, failureReason, statusReason } from '../upstream-errors.js';
import type { ChatTurn } from './history.js';

/** A message of the OpenAI-compatible API as `/generate` takes it: a tool result or an assistant's tool calls too. */
export interface GenerateMessage {
  role: 'user' | 'assistant' | 'system' | 'tool';
  content: string | null;
  tool_calls?: unknown[];
  tool_call_id?: string;
}

/** The body of inference's `POST /generate`. */
export interface GenerateParams {
  messages: ChatTurn[] | GenerateMessage[];
  model?: string;
  temperature?: number;
  max_tokens?: number;
  // The sampling and tool parameters of the OpenAI-compatible API (README "Use the API"):
  // inference passes them to an engine that honours them and refuses them (400) otherwise.
  top_p?: number;
  stop?: string[];
  seed?: number;
  tools?: unknown[];
  tool_choice?: unknown;
  parallel_tool_calls?: boolean;
  response_format?: unknown;
  /** Asks for the usage and finish reason on the final `done` event. */
  include_usage?: boolean;
}

/** How the start of a generation went: a stream to read, or why there is none. */
export type GenerateStart =
  | { ok: true; body: Readable }
  | { ok: false; reason: UpstreamFailure; message: string; status?: number; retryAfterSeconds?: number; detail?: string; inferenceMessage?: string };

/** Settings of the inference client. */
export interface InferenceClientOptions {
  inferenceUrl: string;
  internalApiKey: string;
  headersTimeoutMs: number;
  idleTimeoutMs: number;
  dispatcher: Dispatcher;
}

const DEFAULT_RETRY_AFTER_SECONDS = 5;
const MAX_ERROR_BODY_BYTES = 4096;

/** Retry-After as seconds (delta or HTTP date), bounded to [1, 3600]. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return DEFAULT_RETRY_AFTER_SECONDS;
  const seconds = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Math.ceil((Date.parse(raw) - now) / 1000);
  if (!Number.isFinite(seconds)) return DEFAULT_RETRY_AFTER_SECONDS;
  return Math.min(3600, Math.max(1, seconds));
}

/** Drops a body chat-api will not read; undici reports the abort as an 'error' event. */
export function discard(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

/** The message of an error answer from inference (its JSON envelope, else the raw text), redacted, then cut to 500 characters. */
export async function readErrorBody(body: Readable): Promise<string> {
  return (await readErrorMessage(body)).text;
}

/** {@link readErrorBody}, saying whether the text came from inference's own error envelope (a message written for callers) or is a raw body. */
export async function readErrorMessage(body: Readable): Promise<{ text: string; envelope: boolean }> {
  let text = '';
  for await (const chunk of body) {
    text += (chunk as Buffer).toString('utf8');
    if (text.length >= MAX_ERROR_BODY_BYTES) {
      discard(body);
      break;
    }
  }
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } | string }).error;
    const found = typeof message === 'string' ? message : message?.message;
    // Redacted before it is cut: a secret split by the cut would escape redaction.
    if (typeof found === 'string') return { text: redactedExcerpt(found, 500), envelope: true };
  } catch {
    // not the JSON envelope: fall back to the raw text
  }
  return { text: redactedExcerpt(text, 500), envelope: false };
}

/**
 * Starts a generation on inference's `POST /generate` with undici's streaming API: on 2xx
 * the response body is handed back unread, so the caller pulls it at the pace its own client
 * reads (backpressure reaches inference through TCP). `traceHeaders` carry the trace.
 */
const targets = new Map<string, { origin: string; path: string }>();

/** Where `/generate` is for an INFERENCE_URL (an origin and maybe a base path), parsed once. */
export function generateTarget(inferenceUrl: string): { origin: string; path: string } {
  let target = targets.get(inferenceUrl);
  if (!target) {
    const url = new URL(inferenceUrl);
    target = { origin: url.origin, path: `${url.pathname.replace(/\/+$/, '')}/generate` };
    targets.set(inferenceUrl, target);
  }
  return target;
}

export async function startGeneration(options: InferenceClientOptions, params: GenerateParams, traceHeaders: Record<string, string>): Promise<GenerateStart> {
  let response: Dispatcher.ResponseData;
  try {
    const { origin, path } = generateTarget(options.inferenceUrl);
    // The dispatcher's own request: undici's top-level `request(url)` parses a URL per call.
    response = await options.dispatcher.request({
      origin,
      path,
      method: 'POST',
      headers: { ...traceHeaders, 'content-type': 'application/json', accept: 'text/event-stream', 'x-internal-api-key': options.internalApiKey },
      body: JSON.stringify(params),
      headersTimeout: options.headersTimeoutMs,
      bodyTimeout: options.idleTimeoutMs,
    });
  } catch (err) {
    const reason = failureReason(err);
    const message = reason === 'timeout' ? 'inference timed out' : reason === 'connect' ? 'inference is unreachable' : 'inference closed the connection before answering';
    return { ok: false, reason, message, detail: describeNetworkError(err) };
  }
  const { statusCode, headers, body } = response;
  if (statusCode === 503) {
    discard(body);
    return { ok: false, reason: 'over_capacity', status: statusCode, message: 'inference is over capacity', retryAfterSeconds: parseRetryAfter(headers['retry-after']) };
  }
  if (statusCode < 200 || statusCode >= 300) {
    const { text: detail, envelope } = await readErrorMessage(body).catch(() => ({ text: '', envelope: false }));
    const message = statusCode < 500 && detail ? `inference rejected the request (HTTP ${statusCode}): ${detail}` : `inference failed (HTTP ${statusCode})`;
    const failed: GenerateStart = { ok: false, reason: statusReason(statusCode), status: statusCode, message, detail };
    // inference's own refusal (its envelope, a message written for callers) may be shown; a raw body never is.
    if (envelope && statusCode < 500 && detail) failed.inferenceMessage = detail;
    return failed;
  }
  const type = String(headers['content-type'] ?? '');
  if (!type.startsWith('text/event-stream')) {
    discard(body);
    return { ok: false, reason: 'stream_error', status: statusCode, message: 'inference answered without an event stream', detail: `content-type ${type || 'missing'}` };
  }
  return { ok: true, body };
}
