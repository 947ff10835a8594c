/**
 * HTTP load generation with autocannon's programmatic API, in two shapes:
 *
 * - {@link measure}: closed-loop saturation (every connection sends its next request as soon
 *   as the previous answer arrives) — a throughput measurement; its latency is mostly queueing.
 * - {@link measureFixedRate}: a paced load (autocannon `overallRate`) well under the server's
 *   capacity — a latency measurement at a realistic load.
 *
 * Both discard a warm-up, then measure one window. Latency percentiles are computed exactly
 * from every 2xx response's fractional-millisecond latency (autocannon's own histogram rounds
 * to whole ms and, when a rate is set, adds coordinated-omission corrections).
 */
import autocannon from 'autocannon';
import { percentile, SampleBuffer } from './stats.js';

/** Options of {@link measure}. */
export interface LoadOptions {
  url: string;
  connections: number;
  /** Seconds of load before measuring; results discarded. 0 skips the warm-up. */
  warmupSeconds: number;
  /** Seconds of the measured window. */
  durationSeconds: number;
}

/** One measured window. */
export interface LoadResult {
  /** Mean requests per second over the window (autocannon's per-second samples). */
  rps: number;
  /** Exact p50/p99 latency of 2xx responses, ms. */
  p50Ms: number;
  p99Ms: number;
  /** autocannon's own p99 (whole-ms histogram), for reference. */
  autocannonP99Ms: number;
  /** 2xx responses in the window. */
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

/** Options of {@link measureFixedRate}. */
export interface FixedRateOptions {
  url: string;
  /** Connections sharing the rate (autocannon lowers it to the rate if the rate is smaller). */
  connections: number;
  /** Requests per second across all connections (autocannon `overallRate`). */
  ratePerSecond: number;
  /** Seconds of the measured window. */
  durationSeconds: number;
  /** Seconds of load at the same rate before measuring; results discarded. Default 0 (none). */
  warmupSeconds?: number;
}

/** One measured fixed-rate window. */
export interface FixedRateResult {
  /** The requested rate, req/s. */
  ratePerSecond: number;
  /** Mean responses per second actually completed over the window (autocannon's per-second samples). */
  achievedRps: number;
  /** Exact p50/p99 latency of 2xx responses, ms. */
  p50Ms: number;
  p99Ms: number;
  /** 2xx responses in the window. */
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

type RunOptions = Pick<autocannon.Options, 'url' | 'connections' | 'overallRate'>;

function run(options: RunOptions, seconds: number, onLatency?: (ms: number) => void): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const instance = autocannon({ ...options, duration: seconds, timeout: 10 }, (err, result) => {
      settled = true;
      clearTimeout(guard);
      if (err) reject(err);
      else resolve(result);
    });
    if (onLatency) {
      instance.on('response', (_client, status, _bytes, ms) => {
        if (status >= 200 && status < 300) onLatency(ms);
      });
    }
    // autocannon bounds itself by `duration`; this only guards against a wedged run.
    const guard = setTimeout(() => {
      if (!settled) instance.stop();
    }, (seconds + 15) * 1000);
  });
}

/** One measured window: autocannon's result plus the exact p50/p99 of its 2xx latencies. */
interface Window {
  result: autocannon.Result;
  p50Ms: number;
  p99Ms: number;
  /** 2xx responses in the window. */
  requests: number;
}

/** Runs a discarded warm-up (if any), then one window collecting every 2xx latency. */
async function measureWindow(options: RunOptions, warmupSeconds: number, durationSeconds: number): Promise<Window> {
  if (warmupSeconds > 0) await run(options, warmupSeconds);
  const latencies = new SampleBuffer();
  const result = await run(options, durationSeconds, (ms) => latencies.push(ms));
  if (latencies.length === 0) throw new Error(`no successful response from ${options.url} (errors ${result.errors}, non-2xx ${result.non2xx})`);
  const sample = latencies.values();
  return { result, p50Ms: percentile(sample, 50), p99Ms: percentile(sample, 99), requests: latencies.length };
}

/** Closed-loop saturation: warms the server up, then measures one window. */
export async function measure(options: LoadOptions): Promise<LoadResult> {
  const { result, p50Ms, p99Ms, requests } = await measureWindow({ url: options.url, connections: options.connections }, options.warmupSeconds, options.durationSeconds);
  return {
    rps: result.requests.average,
    p50Ms,
    p99Ms,
    autocannonP99Ms: result.latency.p99,
    requests,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}

/**
 * Paced load at `ratePerSecond` (autocannon `overallRate`, split evenly across the
 * connections): warms up at the same rate (if asked), then measures one window. The caller
 * should check `achievedRps` against the rate: below it, the server (or the load generator)
 * could not keep up and the latencies are queueing again.
 *
 * Note that autocannon paces per second, not per request: each connection sends its share of
 * the second's requests back to back (each as soon as the previous answer arrives), then
 * waits for the next second.
 */
export async function measureFixedRate(options: FixedRateOptions): Promise<FixedRateResult> {
  const { result, p50Ms, p99Ms, requests } = await measureWindow(
    { url: options.url, connections: options.connections, overallRate: options.ratePerSecond },
    options.warmupSeconds ?? 0,
    options.durationSeconds,
  );
  return {
    ratePerSecond: options.ratePerSecond,
    achievedRps: result.requests.average,
    p50Ms,
    p99Ms,
    requests,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}
