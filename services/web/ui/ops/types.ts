/** The shapes of /ops/api (the web service's console API). */

/** One row of the recent-traces list. */
export interface TraceSummary {
  trace_id: string;
  root_name: string;
  start_time: string;
  duration_ms: number;
  span_count: number;
  error: boolean;
  services: string[];
}

/** One span, as packages/observability records it. */
export interface Span {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  kind: string;
  service: string;
  start_time: string;
  duration_ms: number;
  status: 'unset' | 'ok' | 'error';
  status_message?: string;
  attributes: Record<string, unknown>;
  events: Array<{ name: string; time: string; attributes: Record<string, unknown> }>;
}

/** Figures of the generation inside a trace, when it has one. */
export interface Generation {
  time_to_first_token_ms: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  model: string | null;
}

/** One whole trace across services. */
export interface TraceDetail {
  trace_id: string;
  start_time: string;
  duration_ms: number;
  services: string[];
  spans: Span[];
  generation: Generation | null;
}

/** Per-service figures of /ops/api/metrics. */
export interface ServiceFigures {
  up: boolean;
  request_rate: number | null;
  error_rate: number | null;
  p95_ms: number | null;
  /** dependency → up, from the service's dependency_up gauge. */
  dependencies?: Record<string, boolean>;
}

/** /ops/api/metrics. */
export interface MetricsAnswer {
  /** null until the first scrape (then `note` says why). */
  at: string | null;
  window_s: number | null;
  note?: string;
  services: Record<string, ServiceFigures>;
  inference: { ttft_p95_ms: number | null; tokens_per_s: number | null; active_generations: number | null; queue_depth: number | null };
  chat: { active_streams: number | null };
  /** The answer SLIs (docs/slos.md) over the window. */
  answers: { rate: number | null; success_ratio: number | null; burn_rate: number | null; top_failure: string | null; ttft_p95_ms: number | null; ttft_within_slo: number | null };
  history: Array<Record<string, unknown>>;
}

/** One doctor check result: `status` is the verdict (`ok` is null for a skipped check). */
export interface DoctorResult {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  ok: boolean | null;
  detail: string;
  fix?: string | null;
}
