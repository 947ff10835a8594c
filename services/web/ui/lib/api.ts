/**
 * The browser's one way to call the platform: every request carries an `x-trace-id` (so it
 * can be found in the console), the bearer token when signed in, and failures become an
 * {@link ApiError} whose `message` a person can read.
 */
import { newTraceId } from './trace.js';

/** Where the access token comes from and how it is renewed after a 401. */
export interface TokenSource {
  token(): string | null;
  /** Tries once to get a fresh token (refresh cookie); true when it did. */
  refresh(): Promise<boolean>;
}

/**
 * A failed call: HTTP status, the platform's error code, Retry-After and the trace id; `detail`
 * is the envelope's own message, `userMessageId` the stored question of a refused send
 * (chat-api's `x-user-message-id`, services/chat-api/README.md).
 */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly traceId: string,
    readonly retryAfterS: number | null = null,
    readonly detail = '',
    readonly userMessageId: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Options of {@link apiFetch}. */
export interface ApiInit {
  method?: string;
  body?: unknown;
  /** The trace this call belongs to; a new one when omitted. */
  traceId?: string;
  signal?: AbortSignal;
  accept?: string;
}

/** What a successful call returns: the response and the trace id it was sent with. */
export interface ApiResult {
  res: Response;
  traceId: string;
}

/**
 * Calls `path` on this origin. On 401 it asks `auth` for a new token once and retries; a
 * second 401 is an ApiError with code `SESSION_EXPIRED`. Any other non-2xx is an ApiError.
 */
export async function apiFetch(path: string, init: ApiInit = {}, auth?: TokenSource): Promise<ApiResult> {
  const traceId = init.traceId ?? newTraceId();
  const send = (): Promise<Response> => {
    const headers: Record<string, string> = { 'x-trace-id': traceId, accept: init.accept ?? 'application/json' };
    const token = auth?.token();
    if (token) headers['authorization'] = `Bearer ${token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    return fetch(path, {
      method: init.method ?? 'GET',
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      credentials: 'same-origin',
      signal: init.signal,
    });
  };
  let res = await send();
  if (res.status === 401 && auth) {
    // The access token may just have expired: the refresh cookie can mint another one.
    if (await auth.refresh()) res = await send();
    if (res.status === 401) {
      await res.body?.cancel();
      throw new ApiError('Your session has expired — sign in again.', 401, 'SESSION_EXPIRED', traceId);
    }
  }
  if (!res.ok) throw await errorFrom(res, traceId);
  return { res, traceId };
}

/** `apiFetch` and parse the JSON body (undefined for 204). */
export async function apiJson<T>(path: string, init: ApiInit = {}, auth?: TokenSource): Promise<T> {
  const { res } = await apiFetch(path, init, auth);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** Turns an error response (envelope `{"error":{code,message,trace_id}}` or not) into an ApiError. */
export async function errorFrom(res: Response, traceId: string): Promise<ApiError> {
  let code = `HTTP_${res.status}`;
  let detail = '';
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } | string };
    if (body.error && typeof body.error === 'object') {
      code = body.error.code ?? code;
      detail = body.error.message ?? '';
    } else if (typeof body.error === 'string') detail = body.error;
  } catch {
    // Not JSON (a proxy's HTML page, an empty body): the status says enough.
  }
  const header = res.headers.get('retry-after');
  const retryAfterS = header && /^\d+$/.test(header) ? Number(header) : null;
  return new ApiError(describe(res.status, code, detail, retryAfterS), res.status, code, res.headers.get('x-trace-id') ?? traceId, retryAfterS, detail, res.headers.get('x-user-message-id'));
}

function describe(status: number, code: string, detail: string, retryAfterS: number | null): string {
  const retry = retryAfterS !== null ? ` Try again in ${retryAfterS} s.` : '';
  if (status === 401) return 'Your session has expired — sign in again.';
  if (status === 403) return `Access denied${detail ? `: ${detail}` : '.'}`;
  if (code === 'CHAT_INFERENCE_OVER_CAPACITY') return `The model is over capacity right now; your message is saved.${retry}`;
  if (code === 'CHAT_TOO_MANY_STREAMS' || status === 429) return `Too many answers are streaming at once — wait for one to finish.${retry}`;
  if (code === 'CHAT_AUTH_UNAVAILABLE') return `Sign-in checks are unavailable right now.${retry}`;
  // web's own gateway errors (WEB_*, or no envelope at all); a coded answer from behind it says more.
  if ((status === 502 || status === 504) && (code.startsWith('WEB_') || code.startsWith('HTTP_'))) return `A service behind the web server is unreachable${detail ? `: ${detail}` : '.'}`;
  if (status === 503 && (code === 'CHAT_INFERENCE_UNAVAILABLE' || code.startsWith('HTTP_') || !detail)) return `Inference is unavailable right now.${retry}${detail ? ` (${detail})` : ''}`;
  // Any other coded 5xx (a code this page does not know yet included): the envelope's own sentence.
  if (status >= 500 && detail) return `${detail.charAt(0).toUpperCase()}${detail.slice(1)}${/[.!?]$/.test(detail) ? '' : '.'}${retry}`;
  return detail || `The request failed (HTTP ${status}).`;
}
