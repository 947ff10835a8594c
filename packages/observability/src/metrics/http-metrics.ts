import type { Metrics } from './registry.js';

/** Buckets for request latency (time to first byte for streams), in seconds. */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Buckets for whole streams, reaching 20 minutes so long chats are still measured. */
export const HTTP_STREAM_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200];

/** The route label of requests that matched no route. */
export const UNMATCHED_ROUTE = 'unmatched';

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/** Keeps the `method` label bounded whatever a client sends. */
export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : 'OTHER';
}

/** The HTTP metrics every service exposes (SPEC §4). */
export interface HttpMetrics {
  /** A request started on `route`: counts it in progress. */
  start(method: string, route: string): void;
  /**
   * A request finished. `firstByteSeconds` is set for streamed responses: it goes to
   * `http_request_duration_seconds` and the whole stream to `http_stream_duration_seconds`.
   */
  finish(method: string, route: string, status: number, durationSeconds: number, firstByteSeconds?: number): void;
  /**
   * The series of one (method, route), for a caller that sees the same pair again and again
   * (the request lifecycle caches one per route): `start`/`finish` as above without the
   * per-call lookup. Same values as {@link HttpMetrics.start}/{@link HttpMetrics.finish}.
   */
  route(method: string, route: string): RouteHttpMetrics;
}

/** {@link HttpMetrics} bound to one (method, route). */
export interface RouteHttpMetrics {
  start(): void;
  finish(status: number, durationSeconds: number, firstByteSeconds?: number): void;
}

const NOOP_ROUTE: RouteHttpMetrics = { start() {}, finish() {} };

/** Per-bucket (not cumulative) counts plus sum and count of one histogram series. */
class HistogramCells {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }
  observe(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > (this.bounds[i] as number)) i++;
    (this.counts[i] as number)++;
    this.sum += value;
    this.count++;
  }
}

/** Everything recorded for one (method, route): found with one Map lookup per request. */
class RouteSeries {
  inProgress = 0;
  /** Requests completed by status code, in the order the codes were first seen. */
  readonly statuses = new Map<number, { n: number }>();
  // The status of the previous request and its count: most requests repeat it (no Map lookup).
  lastStatus = -1;
  lastCount: { n: number } = { n: 0 };
  readonly latency = new HistogramCells(HTTP_DURATION_BUCKETS);
  stream: HistogramCells | undefined;
  constructor(
    readonly method: string,
    readonly route: string,
  ) {}
}

type Value = { labels: Record<string, string | number>; value: number; metricName?: string };

/**
 * A metric family rendered by prom-client's registry (same exposition, same default
 * `service` label, OpenMetrics included) but recorded without prom-client's per-call label
 * hashing: the request path pays one Map lookup and a few additions, the scrape does the rest.
 */
class HttpFamily {
  readonly aggregator = 'sum';
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
    readonly labelNames: readonly string[],
    private readonly values: () => Value[],
    private readonly clear: () => void,
  ) {}
  async get() {
    return { name: this.name, help: this.help, type: this.type, values: this.values(), aggregator: this.aggregator };
  }
  reset(): void {
    this.clear();
  }
}

function histogramValues(name: string, bounds: readonly number[], series: Iterable<[RouteSeries, HistogramCells]>): Value[] {
  const out: Value[] = [];
  for (const [s, cells] of series) {
    let cumulative = 0;
    for (let i = 0; i <= bounds.length; i++) {
      cumulative += cells.counts[i] as number;
      out.push({ labels: { le: i < bounds.length ? (bounds[i] as number) : '+Inf', method: s.method, route: s.route }, value: cumulative, metricName: `${name}_bucket` });
    }
    out.push({ labels: { method: s.method, route: s.route }, value: cells.sum, metricName: `${name}_sum` });
    out.push({ labels: { method: s.method, route: s.route }, value: cells.count, metricName: `${name}_count` });
  }
  return out;
}

/** Registers the HTTP metric families on `metrics` (no-ops when metrics are disabled). */
export function createHttpMetrics(metrics: Metrics): HttpMetrics {
  if (!metrics.enabled) return { start() {}, finish() {}, route: () => NOOP_ROUTE };
  const byRoute = new Map<string, RouteSeries>();
  const all = () => byRoute.values();
  // Bumped by a reset, so a cached route handle looks its series up again.
  let generation = 0;
  const clear = () => {
    byRoute.clear();
    generation++;
  };
  const series = (method: string, route: string): RouteSeries => {
    const key = `${method} ${route}`;
    let s = byRoute.get(key);
    if (!s) {
      s = new RouteSeries(method, route);
      byRoute.set(key, s);
    }
    return s;
  };

  metrics.register(
    new HttpFamily('http_requests_total', 'HTTP requests completed, by method, route template and exact status code.', 'counter', ['method', 'route', 'status'], () => {
      const out: Value[] = [];
      // metricName stays unset: prom-client appends `_total` itself in OpenMetrics.
      for (const s of all()) for (const [status, count] of s.statuses) out.push({ labels: { method: s.method, route: s.route, status: String(status) }, value: count.n });
      return out;
    }, clear),
  );
  metrics.register(
    new HttpFamily('http_request_duration_seconds', 'HTTP request latency in seconds; for streamed responses, the time to the first byte.', 'histogram', ['method', 'route'], () =>
      histogramValues('http_request_duration_seconds', HTTP_DURATION_BUCKETS, [...all()].filter((s) => s.latency.count > 0).map((s) => [s, s.latency])),
    clear),
  );
  metrics.register(
    new HttpFamily('http_stream_duration_seconds', 'Whole duration of streamed (SSE) HTTP responses in seconds.', 'histogram', ['method', 'route'], () =>
      histogramValues('http_stream_duration_seconds', HTTP_STREAM_BUCKETS, [...all()].flatMap((s) => (s.stream ? [[s, s.stream] as [RouteSeries, HistogramCells]] : []))),
    clear),
  );
  metrics.register(
    new HttpFamily('http_requests_in_progress', 'HTTP requests being served right now.', 'gauge', ['method', 'route'], () =>
      [...all()].map((s) => ({ labels: { method: s.method, route: s.route }, value: s.inProgress })),
    clear),
  );

  return {
    start(method, route) {
      series(method, route).inProgress++;
    },
    finish(method, route, status, durationSeconds, firstByteSeconds) {
      record(series(method, route), status, durationSeconds, firstByteSeconds);
    },
    route(method, route) {
      let s = series(method, route);
      let seen = generation;
      const live = (): RouteSeries => {
        if (seen !== generation) {
          s = series(method, route);
          seen = generation;
        }
        return s;
      };
      return {
        start() {
          live().inProgress++;
        },
        finish(status, durationSeconds, firstByteSeconds) {
          record(live(), status, durationSeconds, firstByteSeconds);
        },
      };
    },
  };
}

function record(s: RouteSeries, status: number, durationSeconds: number, firstByteSeconds: number | undefined): void {
  s.inProgress--;
  if (status !== s.lastStatus) {
    let count = s.statuses.get(status);
    if (count === undefined) {
      count = { n: 0 };
      s.statuses.set(status, count);
    }
    s.lastStatus = status;
    s.lastCount = count;
  }
  s.lastCount.n++;
  if (firstByteSeconds === undefined) {
    s.latency.observe(durationSeconds);
  } else {
    s.latency.observe(firstByteSeconds);
    (s.stream ??= new HistogramCells(HTTP_STREAM_BUCKETS)).observe(durationSeconds);
  }
}
