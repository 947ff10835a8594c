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

// Background work with no request around it: a service probing a dependency's health
// (`GET inference health`, the readiness checks of chat-api and web) or a database statement
// of a periodic job (`db.instances.heartbeat`, `db.messages.sweep_interrupted`; a request's
// statements are children of its span, never roots).
const BACKGROUND_ROOT = /^(?:GET \S+ health|db\.\S+)$/;

/**
 * True for a trace whose root span is a housekeeping request or background work. Root spans
 * of server requests are named `METHOD /route` (`GET /debug/traces/:traceId`) unless their
 * route names what it does ("send message": never housekeeping); background roots are
 * dependency health probes and periodic database jobs. Any other root (an outgoing call
 * such as an OAuth exchange) is kept.
 */
export function isHousekeepingTrace(trace: { root_name: string }): boolean {
  if (BACKGROUND_ROOT.test(trace.root_name)) return true;
  const match = /^[A-Z]+ (\/\S*)$/.exec(trace.root_name);
  return match !== null && isHousekeepingRoute(match[1] as string);
}
