import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric, type OpenMetricsContentType, type CounterConfiguration, type GaugeConfiguration, type HistogramConfiguration } from 'prom-client';
import { noopCounter, noopGauge, noopHistogram } from './noop.js';

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /** Value of the `service` label on every series. */
  service: string;
  /** METRICS_ENABLED; when false every factory returns a no-op and nothing is rendered. */
  enabled?: boolean;
  /** Node process and event-loop metrics. Default true. */
  runtime?: boolean;
}

type Config<C> = Omit<C, 'registers'>;

/** The rendered exposition. */
export interface RenderedMetrics {
  contentType: string;
  body: string;
}

/**
 * A service's metrics: an injected prom-client registry (never the global one, so tests
 * and reloads never collide) with `service` as a default label, and factories that
 * register against it.
 */
export interface Metrics {
  readonly enabled: boolean;
  readonly registry: Registry;
  counter<L extends string = string>(config: Config<CounterConfiguration<L>>): Counter<L>;
  gauge<L extends string = string>(config: Config<GaugeConfiguration<L>>): Gauge<L>;
  histogram<L extends string = string>(config: Config<HistogramConfiguration<L>>): Histogram<L>;
  /** Renders the exposition; OpenMetrics when `accept` asks for it, else Prometheus text. */
  render(accept?: string): Promise<RenderedMetrics>;
}

/** True when an Accept header prefers OpenMetrics over the Prometheus text format. */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('application/openmetrics-text');
}

/** Creates a service's metrics registry. */
export function createMetrics(options: MetricsOptions): Metrics {
  const enabled = options.enabled ?? true;
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  if (enabled && (options.runtime ?? true)) collectDefaultMetrics({ register: registry });

  // prom-client renames counters (drops `_total`) on the metric objects while rendering
  // OpenMetrics, so the two formats share one lock and names are restored afterwards.
  let openMetrics: Registry<OpenMetricsContentType> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const serialised = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const renderOpenMetrics = async (): Promise<RenderedMetrics> => {
    if (!openMetrics) {
      openMetrics = new Registry<OpenMetricsContentType>();
      openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as OpenMetricsContentType);
      openMetrics.setDefaultLabels({ service: options.service });
    }
    const all = registry.getMetricsAsArray();
    for (const metric of all) if (!openMetrics.getSingleMetric(metric.name)) openMetrics.registerMetric(metric as unknown as Metric);
    const names = all.map((m) => [m, m.name] as const);
    try {
      return { contentType: Registry.OPENMETRICS_CONTENT_TYPE, body: await openMetrics.metrics() };
    } finally {
      for (const [metric, name] of names) (metric as { name: string }).name = name;
    }
  };

  return {
    enabled,
    registry,
    counter: (config) => (enabled ? new Counter({ ...config, registers: [registry] }) : noopCounter()),
    gauge: (config) => (enabled ? new Gauge({ ...config, registers: [registry] }) : noopGauge()),
    histogram: (config) => (enabled ? new Histogram({ ...config, registers: [registry] }) : noopHistogram()),
    render: (accept) =>
      serialised(async () =>
        wantsOpenMetrics(accept) ? renderOpenMetrics() : { contentType: registry.contentType, body: await registry.metrics() },
      ),
  };
}
