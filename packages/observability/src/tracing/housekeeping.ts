/**
 * Requests the platform makes to look at itself: Prometheus scrapes (`/metrics`), probes
 * (`/health`, `/ready`), the trace API (`/debug/traces`, what `samosachaat traces` and the
 * console read) and the operations console's own API (`/ops/api/…`). Views of traffic hide
 * them by default so the requests people made stay visible; `samosachaat traces`, the
 * console's trace list and its request figures all ask this one module.
 */

/** Route patterns (as Fastify names them, and as spans and metrics carry them) that are housekeeping. */
export const HOUSEKEEPING_ROUTES: readonly string[] = Object.freeze(['/metrics', '/health', '/ready', '/api/health', '/debug/traces', '/debug/traces/:traceId']);

/** Every route under this prefix is the operations console's API. */
export const OPS_API_PREFIX = '/ops/api/';

const ROUTES = new Set(HOUSEKEEPING_ROUTES);

/** True for a housekeeping route pattern (`/metrics`, `/ops/api/traces`…), whatever the method. */
export function isHousekeepingRoute(route: string): boolean {
  return ROUTES.has(route) || route.startsWith(OPS_API_PREFIX);
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
