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
  /**
   * Registers a hand-rolled metric family (an object with `name`, `help`, `type`,
   * `get()` and `reset()`, as prom-client's registry expects) — for hot paths that must not
   * pay prom-client's per-call label hashing. Ignored when metrics are disabled.
   */
  register(family: { name: string; help: string; type: string; get(): Promise<unknown>; reset(): void }): void;
  /** Renders the exposition; OpenMetrics when `accept` asks for it, else Prometheus text. */
  render(accept?: string): Promise<RenderedMetrics>;
}

/** True when an Accept header prefers OpenMetrics over the Prometheus text format. */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('application/openmetrics-text');
}

/**
 * Adds `service="<name>"` as the last label of every sample line of a Prometheus text
 * exposition. prom-client's own default labels rebuild three objects per series on every
 * scrape; a constant label is cheaper to splice into the text. A sample line is
 * `name{labels} value` or `name value`: label values may hold any character but the value
 * and timestamp after the label set never hold `}`, so the last `}` closes the label set.
 */
export function addServiceLabel(exposition: string, service: string): string {
  const pair = `service="${service.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
  const lines = exposition.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.length === 0 || line.charCodeAt(0) === 35 /* # */) continue;
    const space = line.indexOf(' ');
    const brace = line.indexOf('{');
    if (brace !== -1 && brace < space) {
      const close = line.lastIndexOf('}');
      lines[i] = `${line.slice(0, close)},${pair}${line.slice(close)}`;
    } else {
      lines[i] = `${line.slice(0, space)}{${pair}}${line.slice(space)}`;
    }
  }
  return lines.join('\n');
}

function checkLabels(name: string, labelNames: readonly string[] | undefined): void {
  if (labelNames?.includes('service')) throw new Error(`metric ${name}: "service" is added to every series already; remove it from labelNames`);
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The exposition of `target`, family by family with a turn of the event loop between two
 * families: the same text as prom-client's `metrics()`, which formats every family in one go —
 * on a busy service (hundreds of open answer streams) that held the event loop for several
 * milliseconds at every scrape, and every stream's next token waited for it. `eachFamily`
 * post-processes one family's text.
 */
async function renderByFamily(target: Registry<OpenMetricsContentType> | Registry, openMetrics: boolean, eachFamily: (text: string) => string = (t) => t): Promise<string> {
  const parts: string[] = [];
  for (const metric of target.getMetricsAsArray()) {
    const name = metric.name;
    // As prom-client's own OpenMetrics rendering: a counter's family name drops `_total` (its
    // samples keep it); the caller restores the names afterwards.
    // (`type` is the string 'counter' at run time; prom-client's typings declare a numeric enum.)
    if (openMetrics && (metric as { type: unknown }).type === 'counter') (metric as { name: string }).name = name.replace(/_total$/, '');
    parts.push(eachFamily(await target.getSingleMetricAsString(name)));
    await yieldToLoop();
  }
  return openMetrics ? `${parts.join('\n')}\n# EOF\n` : `${parts.join('\n\n')}\n`;
}

/** Creates a service's metrics registry. */
const RUNTIME_TOTAL_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function createMetrics(options: MetricsOptions): Metrics {
  const enabled = options.enabled ?? true;
  const registry = new Registry();
  if (enabled && (options.runtime ?? true)) {
    collectDefaultMetrics({ register: registry });
    // prom-client's gauges named `…_total` break `promtool check metrics` (a `_total` suffix is
    // for counters), and each is only the sum of its per-type gauge (`nodejs_active_handles`…).
    for (const name of RUNTIME_TOTAL_GAUGES) registry.removeSingleMetric(name);
  }

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
      return { contentType: Registry.OPENMETRICS_CONTENT_TYPE, body: await renderByFamily(openMetrics, true) };
    } finally {
      for (const [metric, name] of names) (metric as { name: string }).name = name;
    }
  };

  return {
    enabled,
    registry,
    counter: (config) => (checkLabels(config.name, config.labelNames), enabled ? new Counter({ ...config, registers: [registry] }) : noopCounter()),
    gauge: (config) => (checkLabels(config.name, config.labelNames), enabled ? new Gauge({ ...config, registers: [registry] }) : noopGauge()),
    histogram: (config) => (checkLabels(config.name, config.labelNames), enabled ? new Histogram({ ...config, registers: [registry] }) : noopHistogram()),
    register: (family) => {
      if (enabled) registry.registerMetric(family as unknown as Metric);
    },
    render: (accept) =>
      serialised(async () =>
        wantsOpenMetrics(accept)
          ? renderOpenMetrics()
          : { contentType: registry.contentType, body: await renderByFamily(registry, false, (text) => addServiceLabel(text, options.service)) },
      ),
  };
}
