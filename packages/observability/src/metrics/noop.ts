import type { Counter, Gauge, Histogram } from 'prom-client';

// One shared object answers every metric call when metrics are off: the call sites stay
// identical and cost a property lookup.
const noopMetric = {
  inc() {},
  dec() {},
  set() {},
  observe() {},
  zero() {},
  reset() {},
  remove() {},
  setToCurrentTime() {},
  startTimer() {
    return () => 0;
  },
  labels() {
    return noopMetric;
  },
  get() {
    return Promise.resolve({ name: '', help: '', type: 'counter', values: [], aggregator: 'sum' });
  },
};

/** A counter that records nothing (METRICS_ENABLED=false). */
export function noopCounter<L extends string>(): Counter<L> {
  return noopMetric as unknown as Counter<L>;
}

/** A gauge that records nothing (METRICS_ENABLED=false). */
export function noopGauge<L extends string>(): Gauge<L> {
  return noopMetric as unknown as Gauge<L>;
}

/** A histogram that records nothing (METRICS_ENABLED=false). */
export function noopHistogram<L extends string>(): Histogram<L> {
  return noopMetric as unknown as Histogram<L>;
}
