// The module's binding, not the global: `globalThis.performance` is a getter, run on every read.
import { performance } from 'node:perf_hooks';
import { ROOT_CONTEXT, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestContext } from '../context/request-context.js';
import { sanitizeHeaderValue } from '../logging/sanitize.js';
import { methodLabel, UNMATCHED_ROUTE, type RouteHttpMetrics } from '../metrics/http-metrics.js';
import type { Observability } from '../observability.js';
import { formatTraceparent, readInboundTrace } from '../tracing/inbound.js';
import { RequestSpan } from '../tracing/request-span.js';
import { traceHeaders } from './reply-headers.js';

/** Per-request state, kept on the request under a symbol. */
export interface RequestState {
  readonly startedAt: number;
  readonly method: string;
  readonly route: string;
  readonly span: Span;
  readonly ctx: Context;
  firstByteAt: number | undefined;
  finished: boolean;
  /** @internal The route's cached telemetry pieces. */
  readonly info: RouteInfo;
}

/** Where the state lives on the Fastify request. */
export const kRequestState = Symbol('samosachaat.request-state');
type WithState = FastifyRequest & { [kRequestState]?: RequestState };

/** The state of a request (undefined if observability did not see it start). */
export function requestState(request: FastifyRequest): RequestState | undefined {
  return (request as WithState)[kRequestState];
}

/**
 * For handlers that hijack the reply and write a stream themselves: call when the first
 * byte goes out, so latency metrics record time to first byte and the whole stream lands
 * in `http_stream_duration_seconds`. Replies sent as a stream payload need no call.
 */
export function markFirstByte(request: FastifyRequest): void {
  const state = requestState(request);
  if (state && state.firstByteAt === undefined) state.firstByteAt = performance.now();
}

const MAX_PATH_LOGGED = 512;

/**
 * The response header naming what a request did (a route's `config.spanName`, e.g. "send
 * message"): a proxy in front (web) names its own span after it with {@link nameRequestSpan},
 * so a trace's root says what happened rather than `POST /api/*`.
 */
export const SPAN_NAME_HEADER = 'x-span-name';

/** Renames the request's server span (a proxy learning what its upstream did). */
export function nameRequestSpan(request: FastifyRequest, name: string): void {
  requestState(request)?.span.updateName(name);
}

// The fields of an access line after the contract's own.
const ACCESS_FIELDS = ['method', 'route', 'path', 'status_code', 'duration_ms', 'ttfb_ms', 'client_disconnected', 'user_agent', 'remote_addr'];

/** Options that shape the access log. */
export interface LifecycleOptions {
  /** Route templates whose access lines are written at `debug` (probes, scrapes). */
  quietRoutes: ReadonlySet<string>;
}

/**
 * What a request's telemetry needs to know about its route, worked out once per route (and
 * method) instead of on every request: the labels, the span name, the pre-encoded pieces of
 * the access line and the route's metric series.
 */
export interface RouteInfo {
  readonly method: string;
  readonly route: string;
  /** `config.spanName` when the route sets one (also sent as {@link SPAN_NAME_HEADER}). */
  readonly named: string | undefined;
  readonly spanName: string;
  /** `,"method":"GET","route":"/x"` — the access line's route fields, JSON-encoded once. */
  readonly accessPrefix: string;
  readonly quiet: boolean;
  readonly metrics: RouteHttpMetrics;
  /** The last path logged on this route and its encoded `,"path":…` field (most routes see one path). */
  lastPath: string | undefined;
  lastPathField: string;
  /** @internal The request method this info was built for, as the request gave it. */
  readonly rawMethod: string;
  /** @internal The info of another method served by the same route context. */
  other: RouteInfo | undefined;
}

type RouteContext = { config?: { url?: unknown; spanName?: unknown } };

/** Builds the hook bodies that carry one request through context, span, metrics and log. */
export function createRequestLifecycle(obs: Observability, options: LifecycleOptions) {
  const access = obs.getLogger('http');
  const telemetryErrors = obs.rateLimited('observability');
  const { http } = obs;
  const writeAccess = obs.lineWriter('http', ACCESS_FIELDS);
  const spans = obs.tracing.requestSpans;
  // The reply's headers without Fastify's lower-casing of names that are lower case already.
  const headers = traceHeaders();

  // Route infos by Fastify's per-route context object (one per route and scope, 404 handlers
  // included); a route serving several methods chains one info per method from the first.
  const routes = new WeakMap<object, RouteInfo>();
  // Fastify keeps a request's route context under a symbol of its own; found (and checked
  // against the public `routeOptions`) on the first request. Without it, every request
  // builds its route info from `routeOptions`, as before the cache.
  let kContext: symbol | null | undefined;

  function buildRouteInfo(rawMethod: string, config: RouteContext['config']): RouteInfo {
    const method = methodLabel(rawMethod);
    const url = config?.url;
    const route = typeof url === 'string' ? url : UNMATCHED_ROUTE;
    // A route may say what it does (`config: { spanName: 'send message' }`); else METHOD /route.
    const named = typeof config?.spanName === 'string' ? config.spanName : undefined;
    return {
      method,
      route,
      named,
      spanName: named ?? `${method} ${route}`,
      accessPrefix: `,"method":${JSON.stringify(method)},"route":${JSON.stringify(route)}`,
      quiet: options.quietRoutes.has(route),
      metrics: http.route(method, route),
      lastPath: undefined,
      lastPathField: '',
      rawMethod,
      other: undefined,
    };
  }

  function routeInfo(request: FastifyRequest): RouteInfo {
    if (kContext === undefined) kContext = findContextSymbol(request);
    const ctx = kContext ? ((request as unknown as Record<symbol, RouteContext | undefined>)[kContext] as RouteContext | undefined) : undefined;
    if (ctx === undefined || typeof ctx !== 'object') return buildRouteInfo(request.method, request.routeOptions.config as RouteContext['config']);
    const first = routes.get(ctx);
    const method = request.method;
    let info = first;
    while (info !== undefined && info.rawMethod !== method) info = info.other;
    if (info === undefined) {
      info = buildRouteInfo(method, ctx.config);
      if (first === undefined) routes.set(ctx, info);
      else {
        info.other = first.other;
        first.other = info;
      }
    }
    return info;
  }

  let lastUa: string | string[] | undefined;
  let lastUaField = '';
  // Starts as a value no request has, so the first line encodes its own.
  let lastIp: string | undefined | null = null;
  let lastIpField = '';

  function begin(request: FastifyRequest, reply: FastifyReply): RequestState {
    const startedAt = performance.now();
    const info = routeInfo(request);
    const { method, route } = info;
    const inbound = readInboundTrace(request.headers);
    const parent = inbound.parent ? trace.setSpanContext(ROOT_CONTEXT, inbound.parent) : ROOT_CONTEXT;
    // Built up from an empty literal, which V8 gives room for four properties in the object
    // itself: the status code (and trace source) added later need no separate property array.
    // The span keeps this object until the ring buffer turns over: one object fewer to copy.
    const attributes: Attributes = {};
    attributes['http.request.method'] = method;
    attributes['http.route'] = route;
    if (inbound.source !== 'new') attributes['samosachaat.trace_source'] = inbound.source;
    const span = spans.start({ name: info.spanName, context: parent, parent: inbound.parent, traceId: inbound.traceId, attributes, startPerf: startedAt });
    const state: RequestState = {
      startedAt,
      method,
      route,
      span,
      ctx: requestContext(parent, span),
      firstByteAt: undefined,
      finished: false,
      info,
    };
    (request as WithState)[kRequestState] = state;
    const sc = span.spanContext();
    // Through Fastify, not res.setHeader: a header set on the raw response pushes every other
    // header of the reply onto Node's slow, one-by-one path at writeHead. The names are lower
    // case already: Fastify's reply.header would lower-case them again on every request.
    headers.setTrace(reply, sc.traceId, formatTraceparent(sc));
    if (info.named !== undefined) headers.set(reply, SPAN_NAME_HEADER, info.named);
    info.metrics.start();
    return state;
  }

  /** Ends the request's telemetry, once; `completed` says whether the answer was ended. */
  function finish(request: FastifyRequest, reply: FastifyReply, completed: boolean): void {
    const state = requestState(request);
    if (!state || state.finished) return;
    state.finished = true;
    try {
      const endedAt = performance.now();
      const res = reply.raw;
      const aborted = !completed;
      // nginx's convention: 499 when the client left before any answer was sent.
      const status = aborted && !res.headersSent ? 499 : res.statusCode;
      const streamed = state.firstByteAt !== undefined;
      const durationMs = endedAt - state.startedAt;
      const info = state.info;
      info.metrics.finish(status, durationMs / 1000, streamed ? ((state.firstByteAt as number) - state.startedAt) / 1000 : undefined);

      const span = state.span;
      if (span instanceof RequestSpan) {
        span.setValidAttribute('http.response.status_code', status);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
        if (aborted) span.setValidAttribute('samosachaat.client_disconnected', true);
        // The request span's own end takes the clock reading above (no second one).
        span.endAtPerf(endedAt);
      } else {
        span.setAttribute('http.response.status_code', status);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
        if (aborted) span.setAttribute('samosachaat.client_disconnected', true);
        span.end();
      }

      // Probes and scrapes are logged at debug; skip building a line nobody will see.
      const level = info.quiet && status < 400 ? 'debug' : 'info';
      if (!access.isLevelEnabled(level)) return;
      // Encoded by hand: the fields and their types are known, so the line skips pino's walk.
      // Header- and URL-derived strings are scrubbed of secret shapes, then sanitised and cut.
      // The same path, user agent and client address come back request after request: each
      // field is encoded again only when its input changed since the last line.
      const path = pathOf(request.url);
      if (path !== info.lastPath) {
        info.lastPathField = `,"path":${JSON.stringify(sanitizeHeaderValue(path, MAX_PATH_LOGGED) as string)}`;
        info.lastPath = path;
      }
      let body = `${info.accessPrefix}${info.lastPathField},"status_code":${status},"duration_ms":${formatMillis(durationMs)}`;
      if (streamed) body += `,"ttfb_ms":${formatMillis((state.firstByteAt as number) - state.startedAt)}`;
      if (aborted) body += ',"client_disconnected":true';
      const ua = request.headers['user-agent'];
      if (ua !== undefined) {
        if (ua !== lastUa) {
          lastUaField = `,"user_agent":${JSON.stringify(sanitizeHeaderValue(ua) as string)}`;
          lastUa = ua;
        }
        body += lastUaField;
      }
      const ip = request.ip as string | undefined;
      if (ip !== lastIp) {
        lastIpField = `,"remote_addr":${JSON.stringify(ip ?? null)}`;
        lastIp = ip;
      }
      writeAccess(level, state.ctx, body + lastIpField, 'http_request_completed');
    } catch (err) {
      reportTelemetryFailure(err);
    }
  }

  function reportTelemetryFailure(err: unknown): void {
    try {
      telemetryErrors.error('telemetry_failed', { error: (err as Error)?.message, error_type: (err as Error)?.name });
    } catch {
      // Nothing left to report to; the request must still go on.
    }
  }

  return { begin, finish, reportTelemetryFailure, headers };
}

// `.001` … `.999`, trailing zeros dropped, '' for 0: the fraction of a millisecond count.
const MILLI_FRACTIONS: readonly string[] = Array.from({ length: 1000 }, (_, i) => (i === 0 ? '' : `.${String(i).padStart(3, '0').replace(/0+$/, '')}`));
// Below this many microseconds the whole part is a small integer (cheap to format).
const MAX_FAST_MICROS = 2 ** 30;

/**
 * `String(Math.round(ms * 1000) / 1000)` — milliseconds to three decimals as JSON writes them —
 * without formatting a double: the whole milliseconds (an integer) plus a precomputed fraction.
 */
export function formatMillis(ms: number): string {
  const micros = Math.round(ms * 1000);
  if (!(micros >= 0 && micros < MAX_FAST_MICROS)) return String(micros / 1000);
  const whole = Math.floor(micros / 1000);
  return `${whole}${MILLI_FRACTIONS[micros - whole * 1000] as string}`;
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

// Fastify 5 keeps the route context under `Symbol('fastify.context')`, not exported. Taken
// only if it holds the very config object the public `routeOptions` hands out.
function findContextSymbol(request: FastifyRequest): symbol | null {
  for (const key of Object.getOwnPropertySymbols(request)) {
    if (key.description !== 'fastify.context') continue;
    const ctx = (request as unknown as Record<symbol, RouteContext | undefined>)[key];
    if (ctx && typeof ctx === 'object' && ctx.config === request.routeOptions.config) return key;
  }
  return null;
}
