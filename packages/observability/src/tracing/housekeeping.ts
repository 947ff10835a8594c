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

/** What {@link isHousekeepingTrace} reads of a span: its name and its attributes. */
interface SpanLike {
  readonly name: string;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

// A server request's span name (`GET /debug/traces`), or a call's (`GET auth /debug/traces`:
// method, callee, route), with the route captured.
const REQUEST_NAME = /^[A-Z]+ (?:[a-z][\w-]* )?(\/\S*)$/;

function isHousekeepingSpan(span: SpanLike): boolean {
  const route = span.attributes?.['http.route'];
  if (typeof route === 'string' && isHousekeepingRoute(route)) return true;
  const match = REQUEST_NAME.exec(span.name);
  return match !== null && isHousekeepingRoute(match[1] as string);
}

/**
 * True for a trace of housekeeping: its root span is a housekeeping request or background
 * work, or (given its spans) any of them is a housekeeping request or a call to one. Root
 * spans of server requests are named `METHOD /route` (`GET /debug/traces/:traceId`) unless
 * their route names what it does ("send message": never housekeeping); background roots are
 * dependency health probes and periodic database jobs. The spans matter while a trace is
 * still being gathered: the console's own fan-out to every service's `/debug/traces` shows
 * up before web's root span has ended, rooted at the call `GET auth /debug/traces`, and
 * must stay hidden all the same. A person's request never calls a housekeeping route. Any
 * other trace (an outgoing call such as an OAuth exchange) is kept.
 */
export function isHousekeepingTrace(trace: { root_name: string; spans?: readonly SpanLike[] }): boolean {
  if (BACKGROUND_ROOT.test(trace.root_name)) return true;
  if (isHousekeepingSpan({ name: trace.root_name })) return true;
  return trace.spans !== undefined && trace.spans.some(isHousekeepingSpan);
}
