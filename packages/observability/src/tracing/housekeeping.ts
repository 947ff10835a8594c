/**
 * Requests the platform makes to look at itself: Prometheus scrapes (`/metrics`), probes
 * (`/health`, `/ready`), the trace API (`/debug/traces`, what `samosachaat traces` and the
 * console read), the operations console (its page `/ops…` and its API `/ops/api/…`) and
 * static assets (`/assets/…`, the pages' scripts and styles). Views of traffic hide
 * them by default so the requests people made stay visible; `samosachaat traces`, the
 * console's trace list and its request figures all ask this one module.
 */

/** Route patterns (as Fastify names them, and as spans and metrics carry them) that are housekeeping. */
export const HOUSEKEEPING_ROUTES: readonly string[] = Object.freeze(['/metrics', '/health', '/ready', '/api/health', '/debug/traces', '/debug/traces/:traceId', '/ops', '/ops/*']);

/** Every route under this prefix is the operations console's API. */
export const OPS_API_PREFIX = '/ops/api/';
/** Every route under this prefix is a static asset. */
export const ASSETS_PREFIX = '/assets/';

const ROUTES = new Set(HOUSEKEEPING_ROUTES);

/** True for a housekeeping route pattern (`/metrics`, `/ops/api/traces`, `/assets/chat.js`…), whatever the method. */
export function isHousekeepingRoute(route: string): boolean {
  return ROUTES.has(route) || route.startsWith(OPS_API_PREFIX) || route.startsWith(ASSETS_PREFIX);
}

/**
 * True for a trace whose root span is a housekeeping request. Root spans of server requests
 * are named `METHOD /route` (`GET /debug/traces/:traceId`); any other root (an outgoing call,
 * a background job) is never housekeeping.
 */
export function isHousekeepingTrace(trace: { root_name: string }): boolean {
  const match = /^[A-Z]+ (\/\S*)$/.exec(trace.root_name);
  return match !== null && isHousekeepingRoute(match[1] as string);
}
