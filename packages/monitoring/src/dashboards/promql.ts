/**
 * Small PromQL helpers for the dashboards, so every selector filters on the `service`
 * variable the same way and every rate uses Grafana's `$__rate_interval`.
 */

/** The matcher every service-scoped selector carries. */
export const SERVICE_MATCHER = 'service=~"$service"';

/** `metric{service=~"$service", …extra}` */
export function sel(metric: string, ...extra: string[]): string {
  return `${metric}{${[SERVICE_MATCHER, ...extra].join(', ')}}`;
}

/** `rate(<selector>[$__rate_interval])` */
export function rate(selector: string): string {
  return `rate(${selector}[$__rate_interval])`;
}

/** `sum by (labels) (rate(metric{service=~"$service", …}[$__rate_interval]))` */
export function sumRate(metric: string, by: readonly string[], ...extra: string[]): string {
  return `sum by (${by.join(', ')}) (${rate(sel(metric, ...extra))})`;
}

/** `histogram_quantile(q, sum by (le, …by) (rate(<histogram>_bucket{…}[$__rate_interval])))` */
export function quantile(q: number, histogram: string, by: readonly string[], ...extra: string[]): string {
  return `histogram_quantile(${q}, ${sumRate(`${histogram}_bucket`, ['le', ...by], ...extra)})`;
}

/**
 * `expr or on (service) (zero)`: a query over a series that only appears once something
 * went wrong (an error counter with labels nobody pre-initialised) still draws a 0 line per
 * service on healthy data. `zeroSource` must be a selector that always exists for the
 * services concerned (e.g. a gauge), aggregated to one series per service.
 */
export function orZero(expr: string, zeroSource: string): string {
  return `${expr} or on (service) (sum by (service) (${zeroSource}) * 0)`;
}
