import type { Observability } from '@samosachaat/observability';
import { CHAT_ERRORS } from '../errors.js';
import type { ChatMetrics, UpstreamFailure } from '../metrics.js';
import { describeNetworkError, failureReason, statusReason } from '../upstream-errors.js';
import { AuthCache, tokenKey, type AuthUser } from './auth-cache.js';

/** What the token validator needs. */
export interface TokenValidatorOptions {
  authUrl: string;
  internalApiKey: string;
  timeoutMs: number;
  cache: AuthCache;
  obs: Observability;
  metrics: ChatMetrics;
}

/** auth's answer to POST /auth/validate, as far as chat-api relies on it. */
interface ValidateAnswer {
  valid?: unknown;
  user?: { id?: unknown; email?: unknown; name?: unknown; is_admin?: unknown };
  expires_at?: unknown;
  api_key_id?: unknown;
}

const AUTH_RETRY_AFTER_SECONDS = 5;

function parseUser(answer: ValidateAnswer): { user: AuthUser; expiresAtMs: number | undefined } | undefined {
  const u = answer.user;
  if (answer.valid !== true || !u || typeof u.id !== 'string' || u.id.length === 0) return undefined;
  const expiresAt = typeof answer.expires_at === 'number' && Number.isFinite(answer.expires_at) ? answer.expires_at * 1000 : undefined;
  return {
    user: Object.freeze({
      id: u.id,
      email: typeof u.email === 'string' ? u.email : '',
      name: typeof u.name === 'string' ? u.name : null,
      is_admin: u.is_admin === true,
      ...(typeof answer.api_key_id === 'string' && answer.api_key_id.length > 0 ? { api_key_id: answer.api_key_id } : {}),
    }),
    expiresAtMs: expiresAt,
  };
}

/**
 * Turns a bearer token into a user: from the cache when it can, else by asking auth's
 * `POST /auth/validate` (2 s budget, traced). Concurrent first requests with the same token
 * share one call. Resolves undefined for a token auth rejects; throws CHAT_AUTH_UNAVAILABLE
 * (503) when auth cannot answer.
 */
export function createTokenValidator(options: TokenValidatorOptions): (token: string) => Promise<AuthUser | undefined> {
  const { cache, obs, metrics } = options;
  const log = obs.getLogger('auth-guard');
  const inFlight = new Map<string, Promise<AuthUser | undefined>>();

  function unavailable(reason: UpstreamFailure, fields: Record<string, unknown>): never {
    metrics.upstreamErrors.inc({ upstream: 'auth', reason });
    log.error({ upstream: 'auth', reason, ...fields }, 'upstream_failed');
    throw CHAT_ERRORS.CHAT_AUTH_UNAVAILABLE({ retryAfterSeconds: AUTH_RETRY_AFTER_SECONDS });
  }

  async function ask(token: string): Promise<AuthUser | undefined> {
    let response: Response;
    try {
      response = await obs.fetch(
        `${options.authUrl}/auth/validate`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-internal-api-key': options.internalApiKey },
          body: JSON.stringify({ token }),
          signal: AbortSignal.timeout(options.timeoutMs),
        },
        { peerService: 'auth', spanName: 'POST /auth/validate' },
      );
    } catch (err) {
      return unavailable(failureReason(err), { error: describeNetworkError(err) });
    }
    if (response.status === 401) {
      await response.body?.cancel();
      return undefined;
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      // 4xx other than 401 means chat-api itself is misconfigured (wrong internal key).
      return unavailable(statusReason(response.status), { status_code: response.status });
    }
    let answer: ValidateAnswer;
    try {
      answer = (await response.json()) as ValidateAnswer;
    } catch (err) {
      if (err instanceof SyntaxError) return unavailable('stream_error', { error: 'auth answered 200 with a body that is not JSON' });
      return unavailable(failureReason(err), { error: describeNetworkError(err) });
    }
    const parsed = parseUser(answer);
    if (!parsed) return undefined;
    cache.set(token, parsed.user, parsed.expiresAtMs);
    return parsed.user;
  }

  return async (token) => {
    const cached = cache.get(token);
    if (cached) {
      metrics.authCacheRequests.inc({ result: 'hit' });
      return cached;
    }
    metrics.authCacheRequests.inc({ result: 'miss' });
    const key = tokenKey(token);
    let pending = inFlight.get(key);
    if (!pending) {
      pending = ask(token).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    return pending;
  };
}
