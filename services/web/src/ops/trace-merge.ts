import type { SpanRecord, TraceRecord } from '@samosachaat/observability';

/** One trace assembled from every service that saw it. */
export interface MergedTrace {
  trace_id: string;
  root_name: string;
  start_time: string;
  duration_ms: number;
  span_count: number;
  error: boolean;
  /** Services with at least one span, in order of their first span. */
  services: string[];
  spans: SpanRecord[];
}

/** A row of the console's trace list: a merged trace without its spans. */
export type TraceSummary = Omit<MergedTrace, 'spans'>;

/** What the console shows of a generation (from the inference generation span). */
export interface GenerationSummary {
  time_to_first_token_ms: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  model: string | null;
}

/**
 * Merges the per-service records of the same trace ids into whole traces: spans from every
 * service, sorted by start time, the root being the span whose parent no service has (the
 * browser-facing one), start/duration over all spans, error when any service saw one.
 */
export function mergeTraces(records: readonly TraceRecord[]): MergedTrace[] {
  const byId = new Map<string, { spans: SpanRecord[]; error: boolean }>();
  for (const record of records) {
    let entry = byId.get(record.trace_id);
    if (!entry) {
      entry = { spans: [], error: false };
      byId.set(record.trace_id, entry);
    }
    entry.spans.push(...record.spans);
    entry.error ||= record.error;
  }
  const out: MergedTrace[] = [];
  for (const [traceId, entry] of byId) {
    // One service answering twice (a retried fetch) must not double its spans.
    const unique = [...new Map(entry.spans.map((s) => [`${s.service}/${s.span_id}`, s])).values()];
    const spans = unique.sort((a, b) => a.start_time.localeCompare(b.start_time) || Number(a.parent_span_id !== null) - Number(b.parent_span_id !== null));
    if (spans.length === 0) continue;
    const ids = new Set(spans.map((s) => s.span_id));
    const root = spans.find((s) => s.parent_span_id === null || !ids.has(s.parent_span_id)) ?? (spans[0] as SpanRecord);
    const start = Math.min(...spans.map((s) => Date.parse(s.start_time)));
    const end = Math.max(...spans.map((s) => Date.parse(s.start_time) + s.duration_ms));
    out.push({
      trace_id: traceId,
      root_name: root.name,
      start_time: new Date(start).toISOString(),
      duration_ms: Math.round((end - start) * 1000) / 1000,
      span_count: spans.length,
      error: entry.error || spans.some((s) => s.status === 'error'),
      services: [...new Set(spans.map((s) => s.service))],
      spans,
    });
  }
  return out;
}

/** The trace without its spans. */
export function summarize(trace: MergedTrace): TraceSummary {
  const { spans: _spans, ...summary } = trace;
  return summary;
}

function numberOr(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * Time to first token, token counts and model of the trace's generation: the span carrying
 * `gen_ai.request.model`, inference's first (it is where the tokens are produced). Null when
 * the trace has no generation.
 */
export function generationOf(spans: readonly SpanRecord[]): GenerationSummary | null {
  const candidates = spans.filter((s) => typeof s.attributes['gen_ai.request.model'] === 'string');
  const span = candidates.find((s) => s.service === 'inference') ?? candidates[0];
  if (!span) return null;
  const a = span.attributes;
  let ttft = numberOr(a['gen_ai.response.time_to_first_token_ms']);
  if (ttft === null) {
    const first = span.events.find((e) => e.name === 'gen_ai.first_token');
    ttft = numberOr(first?.attributes['gen_ai.response.time_to_first_token_ms']) ?? (first ? Date.parse(first.time) - Date.parse(span.start_time) : null);
  }
  const model = a['gen_ai.response.model'] ?? a['gen_ai.request.model'];
  return {
    time_to_first_token_ms: ttft,
    input_tokens: numberOr(a['gen_ai.usage.input_tokens']),
    output_tokens: numberOr(a['gen_ai.usage.output_tokens']),
    model: typeof model === 'string' ? model : null,
  };
}
