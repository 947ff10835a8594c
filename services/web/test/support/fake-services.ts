import type { SpanRecord, TraceRecord } from '@samosachaat/observability';
import { startUpstream, type Upstream } from './harness.js';

/** A fake service's /debug/traces, /metrics and the calls it received. */
export interface FakeService extends Upstream {
  traces: TraceRecord[];
  metrics: () => string;
  calls: Array<{ url: string; key: string | undefined }>;
}

/** A span as the ring buffer shows it. */
export function span(fields: Partial<SpanRecord> & Pick<SpanRecord, 'trace_id' | 'span_id' | 'service' | 'name' | 'start_time'>): SpanRecord {
  return { parent_span_id: null, kind: 'server', duration_ms: 10, status: 'unset', attributes: {}, events: [], ...fields };
}

/** A trace record of one service, built from its spans. */
export function record(spans: SpanRecord[], error = false): TraceRecord {
  const first = spans[0] as SpanRecord;
  return { trace_id: first.trace_id, root_name: first.name, start_time: first.start_time, duration_ms: first.duration_ms, span_count: spans.length, dropped_spans: 0, error, spans };
}

/**
 * A service with the debug API's behaviour: `/debug/traces` (limit, errors) and
 * `/debug/traces/:id` behind the internal key, `/metrics` from `metrics()`, `/health`.
 */
export async function fakeService(service: string, key: string): Promise<FakeService> {
  // Routes read this object, so a test's later `service.metrics = …` takes effect.
  const state = { traces: [], metrics: () => '', calls: [] } as unknown as FakeService;
  const upstream = await startUpstream((app) => {
    app.addHook('onRequest', async (request) => {
      const header = request.headers['x-internal-api-key'];
      state.calls.push({ url: request.url, key: typeof header === 'string' ? header : undefined });
    });
    app.get('/health', async () => ({ status: 'ok', service }));
    app.get('/metrics', async (_request, reply) => reply.type('text/plain; version=0.0.4').send(state.metrics()));
    app.get<{ Querystring: { limit?: string; errors?: string } }>('/debug/traces', async (request, reply) => {
      if (request.headers['x-internal-api-key'] !== key) return reply.code(401).send({ error: { code: 'UNAUTHORIZED', message: 'missing or wrong X-Internal-API-Key' } });
      const limit = Number(request.query.limit ?? 50);
      const list = state.traces.filter((t) => request.query.errors !== 'true' || t.error).slice(0, limit);
      return { service, count: list.length, traces: list };
    });
    app.get<{ Params: { id: string } }>('/debug/traces/:id', async (request, reply) => {
      if (request.headers['x-internal-api-key'] !== key) return reply.code(401).send({ error: { code: 'UNAUTHORIZED', message: 'no' } });
      const found = state.traces.find((t) => t.trace_id === request.params.id);
      if (!found) return reply.code(404).send({ error: { code: 'TRACE_NOT_FOUND', message: 'not here' } });
      return found;
    });
  });
  return Object.assign(state, { url: upstream.url, app: upstream.app, close: upstream.close });
}
