import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { nameRequestSpan, SPAN_NAME_HEADER, traceHeaders, type Observability } from '@samosachaat/observability';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Dispatcher } from 'undici';
import { WEB_ERRORS } from '../errors.js';
import { describeNetworkError, failureReason, registerOpenAiErrorShape, upstreamError } from './upstream-errors.js';

/** Where one path prefix is forwarded. */
export interface ProxyRoute {
  /** `/api` or `/auth`: requests under it go to `baseUrl` with the same path. */
  prefix: string;
  /** Logical name of the upstream (`chat-api`, `auth`), in spans, logs and error messages. */
  upstream: string;
  baseUrl: string;
  /**
   * `openai`: web's own failures under this prefix (upstream down, timed out, a bad path, a
   * body over the limit) answer in OpenAI's error shape, which OpenAI clients read, instead of
   * samosaChaat's envelope (the `/v1` API: README "Use the API"). Default `envelope`.
   */
  errorShape?: 'envelope' | 'openai';
}

/** What the proxy needs besides its routes. */
export interface ProxyOptions {
  obs: Observability;
  dispatcher: Dispatcher;
  headersTimeoutMs: number;
  idleTimeoutMs: number;
  bodyLimitBytes: number;
}

// Request headers the browser may send upstream. Hop-by-hop headers, Host and anything
// else stay here; the trace headers are the proxy span's own, set below.
const FORWARDED_REQUEST_HEADERS = [
  'accept',
  'accept-language',
  'authorization',
  'cookie',
  'content-type',
  'if-none-match',
  'if-modified-since',
  'last-event-id',
  'origin',
  'user-agent',
  'x-request-id',
];

// Response headers that describe one connection, not the answer (RFC 9110 §7.6.1), and the
// trace headers, which web already set for its own server span, and the upstream's name for
// what the request did, which names web's span instead.
const DROPPED_RESPONSE_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'x-trace-id', 'traceparent', 'tracestate', SPAN_NAME_HEADER]);
const MAX_SPAN_NAME = 64;

const METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'] as const;

function forwardHeaders(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') out[name] = value;
  }
  // The client's address as web established it (the socket's, or what a proxy TRUST_PROXY names
  // put in X-Forwarded-For), never what the browser claims: a client-sent X-Forwarded-For is
  // replaced, so auth (which trusts web) rate-limits real addresses, not spoofed ones.
  out['x-forwarded-for'] = request.ip;
  out['x-forwarded-proto'] = request.protocol;
  if (request.headers.host) out['x-forwarded-host'] = request.headers.host;
  return out;
}

/** The path and query to request upstream, with dot segments resolved; undefined if it leaves the prefix. */
function upstreamPath(rawUrl: string, prefix: string): string | undefined {
  const url = new URL(rawUrl, 'http://web.invalid');
  if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) return undefined;
  return `${url.pathname}${url.search}`;
}

/**
 * Registers the reverse proxies: every method under each prefix goes to its upstream with the
 * same path and query, the request body (buffered, bounded) and the headers a browser needs
 * (Authorization, Cookie, Content-Type, Accept…); the answer comes back as a stream (status,
 * headers and Set-Cookie included), so SSE arrives event by event with backpressure. Each
 * call is a CLIENT span whose `traceparent`/`x-trace-id` the upstream receives. A client that
 * leaves aborts the upstream request.
 */
export async function registerProxies(app: FastifyInstance, routes: readonly ProxyRoute[], options: ProxyOptions): Promise<void> {
  const { obs, dispatcher } = options;
  const failures = obs.rateLimited('proxy');

  await app.register(async (scope) => {
    // Bodies are forwarded as they came: no JSON parsing, only the size limit.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.bodyLimitBytes }, (_request, body, done) => done(null, body));

    for (const route of routes) {
      const origin = new URL(route.baseUrl);
      const basePath = origin.pathname.replace(/\/+$/, '');
      const handler = async (request: FastifyRequest, reply: FastifyReply) => {
        const path = upstreamPath(request.url, route.prefix);
        if (path === undefined) throw WEB_ERRORS.WEB_INVALID_PATH({ message: `the path must stay under ${route.prefix}/` });
        return forward(request, reply, route, `${origin.origin}`, `${basePath}${path}`);
      };
      // Each prefix in its own scope, so its error handler covers its routes only.
      await scope.register(async (routeScope) => {
        if (route.errorShape === 'openai') registerOpenAiErrorShape(routeScope, obs.getLogger('http'));
        routeScope.route({ method: [...METHODS], url: route.prefix, handler });
        routeScope.route({ method: [...METHODS], url: `${route.prefix}/*`, handler });
      });
    }
  });

  async function forward(request: FastifyRequest, reply: FastifyReply, route: ProxyRoute, origin: string, path: string): Promise<FastifyReply> {
    const method = request.method.toUpperCase() as (typeof METHODS)[number];
    const abort = new AbortController();
    const onClientGone = () => {
      if (!reply.raw.writableEnded) abort.abort(new Error('the client disconnected'));
    };
    reply.raw.once('close', onClientGone);

    const span = obs.tracer.startSpan(`${method} ${route.upstream}`, {
      kind: SpanKind.CLIENT,
      attributes: { 'http.request.method': method, 'peer.service': route.upstream, 'url.full': `${origin}${path.split('?')[0]}`, 'samosachaat.proxy': true },
    });
    const spanContext = trace.setSpan(context.active(), span);
    const body = Buffer.isBuffer(request.body) && method !== 'GET' && method !== 'HEAD' ? request.body : undefined;

    let response: Dispatcher.ResponseData;
    try {
      response = await context.with(spanContext, () =>
        dispatcher.request({
          origin,
          path,
          method,
          headers: { ...forwardHeaders(request), ...traceHeaders() },
          body,
          signal: abort.signal,
          headersTimeout: options.headersTimeoutMs,
          bodyTimeout: options.idleTimeoutMs,
        }),
      );
    } catch (err) {
      reply.raw.off('close', onClientGone);
      span.recordException(err as Error);
      if (abort.signal.aborted) {
        span.setAttribute('samosachaat.client_disconnected', true);
        span.end();
        // Nobody is left to answer; the access log records the 499.
        reply.hijack();
        return reply;
      }
      const reason = failureReason(err);
      span.setStatus({ code: SpanStatusCode.ERROR, message: describeNetworkError(err) });
      span.setAttribute('error.type', reason);
      span.end();
      failures.error('proxy_upstream_failed', { upstream: route.upstream, reason, error: describeNetworkError(err), method, route: route.prefix });
      throw upstreamError(route.upstream, reason);
    }

    const status = response.statusCode;
    span.setAttribute('http.response.status_code', status);
    // The upstream says what the request did ("send message"): the trace's root says so too.
    const action = response.headers[SPAN_NAME_HEADER];
    if (typeof action === 'string' && action.length > 0 && action.length <= MAX_SPAN_NAME) nameRequestSpan(request, action);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
    const stream = response.body;
    stream.once('error', (err: Error) => {
      if (abort.signal.aborted) return;
      span.setStatus({ code: SpanStatusCode.ERROR, message: describeNetworkError(err) });
      failures.error('proxy_stream_failed', { upstream: route.upstream, reason: failureReason(err), error: describeNetworkError(err), method, route: route.prefix });
    });
    stream.once('close', () => {
      reply.raw.off('close', onClientGone);
      if (abort.signal.aborted) span.setAttribute('samosachaat.client_disconnected', true);
      span.end();
    });

    reply.code(status);
    for (const [name, value] of Object.entries(response.headers)) {
      if (value === undefined || DROPPED_RESPONSE_HEADERS.has(name)) continue;
      reply.header(name, value);
    }
    if (method === 'HEAD' || status === 204 || status === 304) {
      await stream.dump();
      return reply.send();
    }
    return reply.send(stream);
  }
}
