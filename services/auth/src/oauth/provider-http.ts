import type { TracedFetch } from '@samosachaat/observability';
import type { OAuthProviderConfig } from '../config.js';
import { OAuthFailure, type OAuthFailureReason } from './failure.js';

/** How provider calls are made: the traced fetch and a time budget per call. */
export interface ProviderHttp {
  fetch: TracedFetch;
  timeoutMs: number;
}

/** Provider answers larger than this are refused: a profile is a few kilobytes. */
const MAX_RESPONSE_BYTES = 1_048_576;
const PROVIDER_ERROR_SHAPE = /^[A-Za-z0-9_.-]{1,64}$/;

async function readLimited(response: Response): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_RESPONSE_BYTES) throw new Error(`answer of ${declared} bytes is over the ${MAX_RESPONSE_BYTES}-byte limit`);
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel();
      throw new Error(`answer is over the ${MAX_RESPONSE_BYTES}-byte limit`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The provider's short error code (`invalid_grant`), when it sent one that looks like one. */
export function providerErrorCode(body: unknown): string | undefined {
  const error = (body as { error?: unknown } | null)?.error;
  return typeof error === 'string' && PROVIDER_ERROR_SHAPE.test(error) ? error : undefined;
}

/**
 * Calls a provider endpoint and returns its JSON body. Network failures, timeouts and 5xx
 * become `provider_unavailable`; a 4xx or an unreadable body becomes `refusal` (the stage's
 * own reason), carrying the provider's error code and the status for the log.
 */
export async function callProvider(http: ProviderHttp, url: string, init: RequestInit, meta: { peer: string; stage: string; refusal: OAuthFailureReason }): Promise<unknown> {
  let response: Response;
  let text: string;
  try {
    response = await http.fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(http.timeoutMs) }, { peerService: meta.peer, spanName: `oauth ${meta.stage}` });
    text = await readLimited(response);
  } catch (err) {
    const e = err as Error;
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
    throw new OAuthFailure('provider_unavailable', `${meta.peer} ${meta.stage}: ${timedOut ? `no answer within ${http.timeoutMs} ms` : 'request failed'}`, {
      stage: meta.stage,
      error_type: timedOut ? 'timeout' : e.name,
    });
  }
  let body: unknown;
  try {
    body = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (response.status >= 500) throw new OAuthFailure('provider_unavailable', `${meta.peer} ${meta.stage} answered HTTP ${response.status}`, { stage: meta.stage, provider_status: response.status });
  const code = providerErrorCode(body);
  if (response.status >= 400 || body === undefined) {
    const details: Record<string, string | number> = { stage: meta.stage, provider_status: response.status };
    if (code) details.provider_error = code;
    throw new OAuthFailure(meta.refusal, `${meta.peer} ${meta.stage} answered HTTP ${response.status}${code ? ` (${code})` : ''}`, details);
  }
  return body;
}

/** The access token of a token-endpoint answer, or the failure it describes. */
export function accessTokenOf(body: unknown, peer: string): string {
  // GitHub answers refusals with 200 and an `error` field.
  const code = providerErrorCode(body);
  const token = (body as { access_token?: unknown } | null)?.access_token;
  if (code || typeof token !== 'string' || token.length === 0) {
    throw new OAuthFailure('token_exchange_failed', `${peer} refused the code exchange${code ? ` (${code})` : ''}`, code ? { stage: 'token', provider_error: code } : { stage: 'token' });
  }
  return token;
}

/** The form body of an authorization-code exchange (RFC 6749 §4.1.3 + RFC 7636 §4.5). */
export function codeExchangeBody(config: OAuthProviderConfig, exchange: { code: string; redirectUri: string; codeVerifier: string }): URLSearchParams {
  return new URLSearchParams({
    grant_type: 'authorization_code',
    code: exchange.code,
    redirect_uri: exchange.redirectUri,
    client_id: config.clientId,
    client_secret: config.clientSecret,
    code_verifier: exchange.codeVerifier,
  });
}
