import type { Observability } from '@samosachaat/observability';
import { describeNetworkError } from '../proxy/upstream-errors.js';
import { figuresBetween, flatten, snapshotOf, type Figures, type HistoryPoint, type Scrape } from './metrics-figures.js';
import { parseExposition } from './prom-text.js';

/** Where one service's metrics come from: its /metrics URL, or (web itself) in-process. */
export interface MetricsTarget {
  service: string;
  /** Base URL; `/metrics` is appended. */
  url?: string;
  /** Reads the exposition text directly (the web service's own registry). */
  read?: () => Promise<string>;
}

/** What `GET /ops/api/metrics` answers. */
export interface MetricsView extends Figures {
  at: string | null;
  /** Seconds the current figures span (up to the configured window). */
  window_s: number | null;
  history: HistoryPoint[];
  note?: string;
}

/** Options of the scraper. */
export interface ScraperOptions {
  targets: readonly MetricsTarget[];
  obs: Observability;
  intervalMs: number;
  /** How far back the current figures look. Default 60 s. */
  windowMs?: number;
  /** Points kept for the sparklines. Default 60. */
  historySize?: number;
  /**
   * Scrape only while somebody looks: the first `view()` starts the interval, and it stops once
   * no `view()` came for this long. Unset: scrape from `start()` until `stop()`.
   */
  idleStopMs?: number;
  now?: () => number;
}

/**
 * Scrapes every service's /metrics on an interval (the first at once), always or only while the
 * console is being looked at (`idleStopMs`), and turns consecutive
 * scrapes into the console's figures: rates from counter increases, p95 from histogram bucket
 * increases, gauges as last seen. Scrapes are plain (untraced) calls: every five seconds of
 * polling must not fill the trace buffers.
 */
export class MetricsScraper {
  private readonly scrapes: Scrape[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly down = new Set<string>();
  private readonly windowMs: number;
  private readonly historySize: number;
  private readonly now: () => number;
  private lastViewAt = 0;

  constructor(private readonly options: ScraperOptions) {
    this.windowMs = options.windowMs ?? 60_000;
    this.historySize = options.historySize ?? 60;
    this.now = options.now ?? Date.now;
  }

  /** Starts the interval (no-op when the interval is 0). */
  start(): void {
    if (this.options.intervalMs <= 0 || this.timer) return;
    void this.scrapeOnce();
    this.timer = setInterval(() => void this.scrapeOnce(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops the interval and waits for a scrape in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One scrape round now (rounds never overlap: a slow round is joined, not doubled). */
  scrapeOnce(): Promise<void> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<void> {
    const at = this.now();
    const idle = this.options.idleStopMs;
    if (idle !== undefined && at - this.lastViewAt > idle) {
      // Nobody has looked for a while: stop polling every service until the console asks again.
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    const results = await Promise.all(this.options.targets.map(async (t) => [t.service, await this.read(t)] as const));
    this.scrapes.push({ at, services: Object.fromEntries(results) });
    // Enough raw scrapes for the window and the history, whichever is longer.
    const keep = Math.max(this.historySize + 1, Math.ceil(this.windowMs / Math.max(1, this.options.intervalMs)) + 1);
    while (this.scrapes.length > keep) this.scrapes.shift();
  }

  private async read(target: MetricsTarget) {
    const log = this.options.obs.getLogger('ops-metrics');
    try {
      let text: string;
      if (target.read) text = await target.read();
      else {
        const res = await fetch(`${target.url}/metrics`, { signal: AbortSignal.timeout(Math.min(3000, Math.max(500, this.options.intervalMs))) });
        text = await res.text();
        if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
      }
      const snapshot = snapshotOf(parseExposition(text));
      if (this.down.delete(target.service)) log.info({ upstream: target.service }, 'ops_scrape_recovered');
      return snapshot;
    } catch (err) {
      // One line when a service goes down, not one per scrape while it stays down.
      if (!this.down.has(target.service)) {
        this.down.add(target.service);
        log.warning({ upstream: target.service, error: describeNetworkError(err) }, 'ops_scrape_failed');
      }
      return undefined;
    }
  }

  /** The figures over the window, and the history of consecutive-scrape figures. */
  view(): MetricsView {
    this.lastViewAt = this.now();
    if (this.options.idleStopMs !== undefined) this.start();
    const names = this.options.targets.map((t) => t.service);
    const latest = this.scrapes.at(-1);
    if (!latest) {
      const empty = figuresBetween(undefined, { at: 0, services: {} }, names);
      const note = this.options.intervalMs <= 0 ? 'METRICS_SCRAPE_INTERVAL_MS=0: the console does not scrape metrics' : 'no scrape yet; figures appear within one interval';
      return { at: null, window_s: null, ...empty, history: [], note };
    }
    const base = this.scrapes.find((s) => s.at >= latest.at - this.windowMs && s !== latest) ?? this.scrapes.at(-2);
    const current = figuresBetween(base, latest, names);
    const history: HistoryPoint[] = [];
    for (let i = Math.max(1, this.scrapes.length - this.historySize); i < this.scrapes.length; i++) {
      const point = this.scrapes[i] as Scrape;
      history.push(flatten(point.at, figuresBetween(this.scrapes[i - 1], point, names)));
    }
    return {
      at: new Date(latest.at).toISOString(),
      window_s: base ? Math.round((latest.at - base.at) / 100) / 10 : null,
      ...current,
      history,
    };
  }
}
