import type { onRequestAsyncHookHandler } from 'fastify';
import type { RateLimitedLogger } from '@samosachaat/observability';
import type { Queryable } from './database.js';
import { authErrors } from './errors.js';
import { recordLoginAttempt } from './login-attempts.js';
import type { AuthMetrics, LimitedEndpoint } from './metrics.js';

/**
 * Per-client-address limits on login attempts, one budget per endpoint (starting a sign-in,
 * coming back from the provider, the development login), kept in the database so every
 * replica counts against the same budget. The address is Fastify's `request.ip`: the socket
 * address, or the one a trusted proxy (TRUST_PROXY: web) put in X-Forwarded-For.
 */
export function createLoginLimit(options: { db: Queryable; max: number; windowSeconds: number; metrics: AuthMetrics; log: RateLimitedLogger; now?: () => number }) {
  const window = { max: options.max, windowMs: options.windowSeconds * 1000 };
  const now = options.now ?? Date.now;
  return (endpoint: LimitedEndpoint): onRequestAsyncHookHandler =>
    async (request) => {
      const decision = await recordLoginAttempt(options.db, window, endpoint, request.ip, now());
      if (decision.allowed) return;
      options.metrics.rateLimited(endpoint);
      // Rate-limited itself: a flood of refused attempts must not become a flood of log lines.
      options.log.warning('login_rate_limited', { endpoint, retry_after_seconds: decision.retryAfterSeconds });
      throw authErrors.AUTH_RATE_LIMITED({ message: `too many login attempts from this address; try again in ${decision.retryAfterSeconds} s`, retryAfterSeconds: decision.retryAfterSeconds });
    };
}
