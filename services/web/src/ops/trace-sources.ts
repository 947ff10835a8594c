import type { Observability, TraceRecord } from '@samosachaat/observability';
import { describeNetworkError } from '../proxy/upstream-errors.js';

/** A service whose ring buffer the console reads. */
export interface TraceSource {
  readonly service: string;
  /** The most recent traces, newest first. */
  recent(limit: number, errorsOnly: boolean): Promise<TraceRecord[]>;
  /** One trace, or undefined when this service does not hold it. */
  get(traceId: string): Promise<TraceRecord | undefined>;
}

/** A service the console could not read, and why. */
export interface Unreachable {
  service: string;
  error: string;
}

/** The web service's own buffer, read in-process. */
export function localTraceSource(obs: Observability): TraceSource {
  return {
    service: obs.config.service,
    async recent(limit, errorsOnly) {
      if (!obs.traces) return [];
      await obs.tracing.forceFlush();
      return obs.traces.recent({ limit, errorsOnly });
    },
    async get(traceId) {
      if (!obs.traces) return undefined;
      await obs.tracing.forceFlush();
      return obs.traces.getTrace(traceId);
    },
  };
}

/** Another service's `/debug/traces`, read with the internal key. */
export function remoteTraceSource(service: string, baseUrl: string, options: { obs: Observability; internalApiKey: string; timeoutMs?: number }): TraceSource {
  const timeoutMs = options.timeoutMs ?? 3000;
  const call = async (path: string): Promise<Response> => {
    try {
      return await options.obs.fetch(
        `${baseUrl}${path}`,
        { headers: { 'x-internal-api-key': options.internalApiKey }, signal: AbortSignal.timeout(timeoutMs) },
        { peerService: service, spanName: `GET ${service} /debug/traces` },
      );
    } catch (err) {
      throw new Error(`not reachable at ${baseUrl} (${describeNetworkError(err)})`);
    }
  };
  const failed = async (res: Response): Promise<never> => {
    const text = (await res.text().catch(() => '')).slice(0, 200);
    throw new Error(`/debug/traces answered ${res.status}${text ? `: ${text}` : ''}`);
  };
  return {
    service,
    async recent(limit, errorsOnly) {
      const res = await call(`/debug/traces?limit=${limit}${errorsOnly ? '&errors=true' : ''}`);
      if (res.status !== 200) return failed(res);
      const body = (await res.json()) as { traces?: TraceRecord[] };
      return Array.isArray(body.traces) ? body.traces : [];
    },
    async get(traceId) {
      const res = await call(`/debug/traces/${traceId}`);
      if (res.status === 404) {
        const body = (await res.json().catch(() => ({}))) as { error?: { code?: string } };
        // The buffer is off (TRACES_DISABLED) or does not hold it: either way, nothing here.
        if (body.error?.code === 'TRACE_NOT_FOUND' || body.error?.code === 'TRACES_DISABLED') return undefined;
        throw new Error(`/debug/traces answered 404 (${body.error?.code ?? 'unknown'})`);
      }
      if (res.status !== 200) return failed(res);
      return (await res.json()) as TraceRecord;
    },
  };
}

/** Asks every source at once; failures become `unreachable` entries instead of errors. */
export async function gather<T>(sources: readonly TraceSource[], ask: (source: TraceSource) => Promise<T>): Promise<{ results: Array<{ service: string; value: T }>; unreachable: Unreachable[] }> {
  const settled = await Promise.allSettled(sources.map(ask));
  const results: Array<{ service: string; value: T }> = [];
  const unreachable: Unreachable[] = [];
  settled.forEach((outcome, i) => {
    const service = (sources[i] as TraceSource).service;
    if (outcome.status === 'fulfilled') results.push({ service, value: outcome.value });
    else unreachable.push({ service, error: (outcome.reason as Error).message ?? String(outcome.reason) });
  });
  return { results, unreachable };
}
