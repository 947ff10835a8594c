import { ConfigError, envInteger } from '../config.js';

type Env = Readonly<Record<string, string | undefined>>;

/** How long a connection may take to send a request, and stay idle between two. */
export interface ServerTimeouts {
  /** From the first byte of a request (or the connection's opening) to the end of its headers. */
  readonly headersTimeoutMs: number;
  /** From the first byte of a request to the last byte of its body. */
  readonly requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open after an answer. */
  readonly keepAliveTimeoutMs: number;
}

/**
 * The defaults. Keep-alive is longer than the 60 s idle timeout of common load balancers and
 * ingress controllers, so the proxy, never the service, closes an idle upstream connection
 * (a service closing first races the proxy's next request on that connection).
 */
export const SERVER_TIMEOUT_DEFAULTS: ServerTimeouts = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 72_000,
});

/**
 * Reads HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS and HTTP_KEEP_ALIVE_TIMEOUT_MS, the
 * same three in every service; a bad value is a ConfigError naming the variable.
 */
export function serverTimeoutsFromEnv(env: Env, defaults: ServerTimeouts = SERVER_TIMEOUT_DEFAULTS): ServerTimeouts {
  const headersTimeoutMs = envInteger(env, 'HTTP_HEADERS_TIMEOUT_MS', defaults.headersTimeoutMs, 100, 600_000);
  const requestTimeoutMs = envInteger(env, 'HTTP_REQUEST_TIMEOUT_MS', defaults.requestTimeoutMs, 100, 3_600_000);
  const keepAliveTimeoutMs = envInteger(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', defaults.keepAliveTimeoutMs, 100, 3_600_000);
  // Node refuses a headers bound above the whole-request bound, and it would mean nothing.
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT_MS', `must not exceed HTTP_REQUEST_TIMEOUT_MS (${requestTimeoutMs}), got "${headersTimeoutMs}"`);
  }
  return Object.freeze({ headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs });
}

/**
 * How often Node looks for connections past their headers or request bound. Node's default
 * is 30 s, which would let a slow body live up to 30 s past its bound; a tenth of the
 * tightest bound (at least 50 ms, at most 1 s) keeps the overshoot small for a negligible cost
 * (one walk over the connections that are still receiving a request).
 */
export function connectionsCheckingIntervalMs(timeouts: ServerTimeouts): number {
  return Math.min(1000, Math.max(50, Math.floor(timeouts.headersTimeoutMs / 10)));
}

/**
 * The Fastify options that apply `timeouts` to the HTTP server. Only the receiving of a
 * request is bounded: an answer, a streamed one (SSE) included, is never cut by these, since
 * Node stops counting once a request's last byte has arrived.
 */
export function serverTimeoutOptions(timeouts: ServerTimeouts) {
  return {
    requestTimeout: timeouts.requestTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    // Node checks headersTimeout <= requestTimeout when the server is built, before Fastify
    // sets requestTimeout: give it both.
    http: {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      connectionsCheckingInterval: connectionsCheckingIntervalMs(timeouts),
    },
  };
}
