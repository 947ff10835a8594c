/**
 * HTTP load generation with autocannon's programmatic API: a discarded warm-up, then a
 * measured window. Latency percentiles are computed exactly from every response's
 * fractional-millisecond latency (autocannon's own histogram rounds to whole ms).
 */
import autocannon from 'autocannon';
import { percentile } from './stats.js';

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

function run(options: LoadOptions, seconds: number, onLatency?: (ms: number) => void): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const instance = autocannon(
      { url: options.url, connections: options.connections, duration: seconds, timeout: 10 },
      (err, result) => {
        settled = true;
        clearTimeout(guard);
        if (err) reject(err);
        else resolve(result);
      },
    );
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

/** Warms the server up, then measures one window. */
export async function measure(options: LoadOptions): Promise<LoadResult> {
  if (options.warmupSeconds > 0) await run(options, options.warmupSeconds);
  let latencies = new Float64Array(1 << 16);
  let n = 0;
  const result = await run(options, options.durationSeconds, (ms) => {
    if (n === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[n++] = ms;
  });
  if (n === 0) throw new Error(`no successful response from ${options.url} (errors ${result.errors}, non-2xx ${result.non2xx})`);
  const sample = latencies.subarray(0, n);
  return {
    rps: result.requests.average,
    p50Ms: percentile(sample, 50),
    p99Ms: percentile(sample, 99),
    autocannonP99Ms: result.latency.p99,
    requests: n,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}
