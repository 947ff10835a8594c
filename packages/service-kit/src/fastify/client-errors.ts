import type { Duplex } from 'node:stream';
import { SpanKind } from '@opentelemetry/api';
import { formatTraceparent, UNMATCHED_ROUTE, type Observability } from '@samosachaat/observability';
import { errorEnvelope } from './errors.js';
import { serverTimeoutOptions, type ServerTimeouts } from './server-timeouts.js';

/** What Node's HTTP parser or its timers refused, as the client should hear it. */
interface ClientErrorAnswer {
  status: number;
  reason: string;
  code: string;
  message: string;
}

/** Maps a `clientError` to its answer; undefined when nobody is left to answer. */
export function describeClientError(err: Error & { code?: string }): ClientErrorAnswer {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, reason: 'Request Timeout', code: 'REQUEST_TIMEOUT', message: 'the request was not received in time; send it again, faster' };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, reason: 'Request Header Fields Too Large', code: 'HEADERS_TOO_LARGE', message: 'the request headers are too large' };
    default: {
      // Node's parser codes (HPE_UNEXPECTED_CONTENT_LENGTH for Transfer-Encoding together with
      // Content-Length, HPE_INVALID_METHOD…) are fixed words, safe to show; nothing else is.
      const parserCode = typeof err.code === 'string' && /^HPE_[A-Z_]{1,40}$/.test(err.code) ? ` (${err.code})` : '';
      return { status: 400, reason: 'Bad Request', code: 'MALFORMED_REQUEST', message: `the request is not valid HTTP/1.1${parserCode}` };
    }
  }
}

type ClientSocket = Duplex & { _httpMessage?: { headersSent?: boolean } | null };

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP server refuses before any route runs (a
 * header block too large, Transfer-Encoding with Content-Length, a request past
 * HTTP_REQUEST_TIMEOUT_MS) is answered with the services' error envelope and a trace id, like
 * every other error, instead of Fastify's own body. Each one is a span (so the trace id leads
 * somewhere), a count in `http_requests_total` (route `unmatched`) and a rate-limited log line
 * `http_client_error`.
 */
export function createClientErrorHandler(obs: Observability): (err: Error & { code?: string }, socket: Duplex) => void {
  const log = obs.rateLimited('http');
  return (err, raw) => {
    const socket = raw as ClientSocket;
    // A reset connection, or one already gone: there is nobody to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const answer = describeClientError(err);
    // An answer already under way cannot be replaced; the connection can only be closed.
    if (!socket.writable || socket._httpMessage?.headersSent) {
      socket.destroy(err);
      return;
    }
    let head = '';
    let traceId: string | undefined;
    try {
      const span = obs.tracer.startSpan(`HTTP ${answer.status}`, {
        kind: SpanKind.SERVER,
        attributes: { 'http.route': UNMATCHED_ROUTE, 'http.response.status_code': answer.status, 'error.type': err.code ?? 'client_error' },
      });
      span.end();
      const sc = span.spanContext();
      traceId = sc.traceId;
      head = `x-trace-id: ${sc.traceId}\r\ntraceparent: ${formatTraceparent(sc, true)}\r\n`;
      obs.http.start('OTHER', UNMATCHED_ROUTE);
      obs.http.finish('OTHER', UNMATCHED_ROUTE, answer.status, 0);
      log.warning('http_client_error', { status_code: answer.status, error_code: answer.code, parser_code: err.code, trace_id: sc.traceId });
    } catch {
      // Telemetry never stops the answer.
    }
    const body = JSON.stringify(errorEnvelope(answer.code, answer.message, traceId));
    socket.end(`HTTP/1.1 ${answer.status} ${answer.reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${head}connection: close\r\n\r\n${body}`);
    // end() waits for the client to read; a client that does not is not waited for.
    setTimeout(() => socket.destroy(), 1000).unref();
  };
}

/**
 * Everything a service passes to `Fastify({...})` for its HTTP server: the timeouts of
 * `serverTimeoutOptions` and the client-error handler above.
 */
export function httpServerOptions(obs: Observability, timeouts: ServerTimeouts) {
  return { ...serverTimeoutOptions(timeouts), clientErrorHandler: createClientErrorHandler(obs) };
}
