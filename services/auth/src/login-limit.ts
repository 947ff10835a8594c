import type { onRequestAsyncHookHandler } from 'fastify';
import type { RateLimitedLogger } from '@samosachaat/observability';
import { rateLimitedError } from './errors.js';
import type { AuthMetrics, LimitedEndpoint } from './metrics.js';
import { SlidingWindowLimiter } from './rate-limiter.js';

/**
 * Per-client-IP limits on login attempts, one budget per endpoint (starting a sign-in,
 * coming back from the provider, the development login). The client IP is Fastify's
 * `request.ip`: the socket address, or X-Forwarded-For when TRUST_PROXY=true.
 */
export function createLoginLimit(options: { max: number; windowSeconds: number; metrics: AuthMetrics; log: RateLimitedLogger; now?: () => number }) {
  const limiter = new SlidingWindowLimiter({ max: options.max, windowMs: options.windowSeconds * 1000, now: options.now });
  return (endpoint: LimitedEndpoint): onRequestAsyncHookHandler =>
    async (request) => {
      const decision = limiter.hit(`${endpoint}\u0000${request.ip}`);
      if (decision.allowed) return;
      options.metrics.rateLimited(endpoint);
      // Rate-limited itself: a flood of refused attempts must not become a flood of log lines.
      options.log.warning('login_rate_limited', { endpoint, retry_after_seconds: decision.retryAfterSeconds });
      throw rateLimitedError(decision.retryAfterSeconds);
    };
}
