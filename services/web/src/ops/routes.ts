import { LogDirMissingError, readLogFiles } from '@samosachaat/platform/log-files';
import { isHousekeepingTrace, LOG_LEVELS, type LogLevel } from '@samosachaat/observability';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { WEB_ERRORS } from '../errors.js';
import { doctorRows, type DoctorRunner } from './doctor.js';
import type { MetricsScraper } from './metrics-scraper.js';
import { booleanParam, choiceParam, integerParam, onlyKnown, stringParam, traceIdParam } from './query.js';
import { generationOf, mergeTraces, summarize } from './trace-merge.js';
import { gather, type TraceSource } from './trace-sources.js';

/** What the console's API is built from. */
export interface OpsRoutesOptions {
  /** The console's access rule (open in local mode, administrators otherwise). */
  access: (request: FastifyRequest) => Promise<void>;
  traceSources: readonly TraceSource[];
  logDir: string | undefined;
  scraper: MetricsScraper;
  doctor: DoctorRunner;
  /** Bound of a whole doctor run (the checks run concurrently, each with its own budget). */
  doctorTimeoutMs: number;
}

type Query = Record<string, unknown>;

/**
 * `/ops/api/*`: recent traces merged across services, one trace with its spans and its
 * generation figures, the log lines of a trace from LOG_DIR, the key metrics, the doctor.
 */
export async function registerOpsApi(app: FastifyInstance, options: OpsRoutesOptions): Promise<void> {
  const { traceSources } = options;
  await app.register(
    async (ops) => {
      ops.addHook('onRequest', options.access);
      // The console polls: never let a browser or proxy serve it a stale answer.
      ops.addHook('onSend', async (_request, reply) => {
        reply.header('cache-control', 'no-store');
      });

      ops.get('/traces', async (request) => {
        const query = request.query as Query;
        onlyKnown(query, ['limit', 'errors', 'all', 'service', 'status', 'min_ms']);
        const limit = integerParam(query, 'limit', 50, 1, 500);
        const status = choiceParam(query, 'status', ['ok', 'error'] as const);
        const errorsOnly = booleanParam(query, 'errors', false) || status === 'error';
        const all = booleanParam(query, 'all', false);
        const service = choiceParam(query, 'service', ['web', 'chat-api', 'auth', 'inference'] as const);
        const minMs = integerParam(query, 'min_ms', 0, 0, 3_600_000);
        const filtered = !all || service !== undefined || status === 'ok' || minMs > 0;
        // Ask for more than shown: probes, scrapes, the console's own calls and static assets
        // are filtered out after merging (the same filter as `samosachaat traces`), then the
        // service, status and duration asked for.
        const ask = filtered ? Math.min(1000, limit * 4 + 100) : limit;
        const { results, unreachable } = await gather(traceSources, (s) => s.recent(ask, errorsOnly));
        const merged = mergeTraces(results.flatMap((r) => r.value))
          .filter((t) => all || !isHousekeepingTrace(t))
          .filter((t) => (service === undefined || t.services.includes(service)) && (status !== 'ok' || !t.error) && t.duration_ms >= minMs)
          .sort((a, b) => b.start_time.localeCompare(a.start_time))
          .slice(0, limit);
        return { traces: merged.map(summarize), unreachable };
      });

      ops.get<{ Params: { traceId: string } }>('/traces/:traceId', async (request) => {
        onlyKnown(request.query as Query, []);
        const traceId = traceIdParam(request.params.traceId, 'traceId') as string;
        const { results, unreachable } = await gather(traceSources, (s) => s.get(traceId));
        const found = results.flatMap((r) => (r.value ? [r.value] : []));
        const [trace] = mergeTraces(found);
        if (!trace) {
          const also = unreachable.length ? `; not reachable: ${unreachable.map((u) => u.service).join(', ')}` : '';
          throw WEB_ERRORS.WEB_TRACE_NOT_FOUND({ message: `no service holds trace ${traceId} (it may have been evicted from the ring buffers)${also}` });
        }
        return {
          trace_id: trace.trace_id,
          root_name: trace.root_name,
          start_time: trace.start_time,
          duration_ms: trace.duration_ms,
          error: trace.error,
          services: trace.services,
          spans: trace.spans,
          generation: generationOf(trace.spans),
          unreachable,
        };
      });

      ops.get('/logs', async (request) => {
        const query = request.query as Query;
        onlyKnown(query, ['trace', 'limit', 'service', 'level']);
        const trace = traceIdParam(stringParam(query, 'trace'), 'trace');
        const limit = integerParam(query, 'limit', 500, 1, 5000);
        const service = choiceParam(query, 'service', ['web', 'chat-api', 'auth', 'inference']);
        const level = choiceParam(query, 'level', LOG_LEVELS as readonly LogLevel[]);
        if (!options.logDir) return { lines: [], note: 'LOG_DIR is not set: the services write no log files to read (`npm start` sets it to DATA_DIR/logs)' };
        try {
          return { lines: await readLogFiles(options.logDir, { trace, service, minLevel: level, limit }) };
        } catch (err) {
          if (err instanceof LogDirMissingError) return { lines: [], note: err.message };
          throw err;
        }
      });

      ops.get('/metrics', async (request) => {
        onlyKnown(request.query as Query, []);
        return options.scraper.view();
      });

      ops.get('/doctor', async (request) => {
        onlyKnown(request.query as Query, []);
        let timer: NodeJS.Timeout | undefined;
        const overall = new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(WEB_ERRORS.WEB_DOCTOR_FAILED({ message: `the doctor did not finish within ${options.doctorTimeoutMs * 2} ms` })), options.doctorTimeoutMs * 2);
        });
        try {
          const results = await Promise.race([options.doctor(), overall]);
          return { results: doctorRows(results) };
        } catch (err) {
          if ((err as { code?: unknown }).code === 'WEB_DOCTOR_FAILED') throw err;
          throw WEB_ERRORS.WEB_DOCTOR_FAILED({ message: `the doctor could not run: ${(err as Error).message}` });
        } finally {
          clearTimeout(timer);
        }
      });

      ops.all('/*', async (request) => {
        throw WEB_ERRORS.WEB_OPS_API_NOT_FOUND({ message: `no console API at ${request.method} ${request.url.split('?')[0]}` });
      });
    },
    { prefix: '/ops/api' },
  );
}
