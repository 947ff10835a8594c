/**
 * `/metrics` render time with 10,000 series: `metrics.render()` of a
 * `createMetrics({ service: 'bench', runtime: false })` registry holding (a) one counter with
 * 100 routes × 100 statuses, (b) one histogram whose label sets add up to ~10,000 series
 * (buckets + `+Inf` + `_sum` + `_count` per label set). Median of repeated renders.
 */
import { createMetrics, HTTP_DURATION_BUCKETS } from '@samosachaat/observability';
import { median } from '../lib/stats.js';

/** One render case. */
export interface RenderCase {
  name: string;
  /** Sample lines in the exposition (lines not starting with `#`). */
  series: number;
  bytes: number;
  rendersMs: number[];
  medianMs: number;
}

/** Times `render` `renders` times after two warm-up renders. */
async function timeRenders(render: () => Promise<{ body: string }>, renders: number): Promise<{ times: number[]; body: string }> {
  let body = '';
  for (let i = 0; i < 2; i++) body = (await render()).body;
  const times: number[] = [];
  for (let i = 0; i < renders; i++) {
    const t0 = process.hrtime.bigint();
    body = (await render()).body;
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { times, body };
}

function countSeries(body: string): number {
  let n = 0;
  for (const line of body.split('\n')) if (line !== '' && !line.startsWith('#')) n++;
  return n;
}

/** Runs both render cases. */
export async function benchRender(renders: number): Promise<RenderCase[]> {
  const cases: RenderCase[] = [];

  const counterMetrics = createMetrics({ service: 'bench', runtime: false });
  const counter = counterMetrics.counter({ name: 'bench_requests_total', help: 'Requests by route and status.', labelNames: ['route', 'status'] as const });
  for (let r = 0; r < 100; r++) for (let s = 0; s < 100; s++) counter.inc({ route: `/api/route-${r}`, status: String(200 + s) });
  const counterRun = await timeRenders(() => counterMetrics.render(), renders);
  cases.push({
    name: 'counter, 100 routes × 100 statuses',
    series: countSeries(counterRun.body),
    bytes: Buffer.byteLength(counterRun.body),
    rendersMs: counterRun.times,
    medianMs: median(counterRun.times),
  });

  const perLabelSet = HTTP_DURATION_BUCKETS.length + 3; // buckets, +Inf, _sum, _count
  const labelSets = Math.ceil(10_000 / perLabelSet);
  const histogramMetrics = createMetrics({ service: 'bench', runtime: false });
  const histogram = histogramMetrics.histogram({ name: 'bench_duration_seconds', help: 'Latency by route.', labelNames: ['route'] as const, buckets: HTTP_DURATION_BUCKETS });
  for (let r = 0; r < labelSets; r++) histogram.observe({ route: `/api/route-${r}` }, (r % 100) / 100);
  const histogramRun = await timeRenders(() => histogramMetrics.render(), renders);
  cases.push({
    name: `histogram, ${labelSets} label sets × ${perLabelSet} series`,
    series: countSeries(histogramRun.body),
    bytes: Buffer.byteLength(histogramRun.body),
    rendersMs: histogramRun.times,
    medianMs: median(histogramRun.times),
  });

  return cases;
}
