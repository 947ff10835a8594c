import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createObservability } from '@samosachaat/observability';
import { observabilityConfigFromEnv } from '@samosachaat/service-kit';
import { MetricsScraper } from './metrics-scraper.js';

const obs = createObservability(observabilityConfigFromEnv('web', { LOG_LEVEL: 'critical' }), { registerGlobalTracer: false, runtimeMetrics: false, logDestination: { write: () => {} } });

/** A service whose request counter grows by `step` on every read. */
function counter(step: number) {
  let total = 0;
  return async () => {
    total += step;
    return `http_requests_total{route="/api/*",status="200"} ${total}\n`;
  };
}

describe('MetricsScraper', () => {
  it('reports the figures over the window and one history point per pair of scrapes', async () => {
    let now = 0;
    const scraper = new MetricsScraper({ obs, intervalMs: 5000, windowMs: 20_000, historySize: 3, now: () => now, targets: [{ service: 'web', read: counter(10) }] });
    assert.match(scraper.view().note ?? '', /no scrape yet/);
    for (let i = 0; i < 8; i++) {
      await scraper.scrapeOnce();
      now += 5000;
    }
    const view = scraper.view();
    // The latest scrape at 35 s against the first one inside the 20 s window (15 s).
    assert.equal(view.at, new Date(35_000).toISOString());
    assert.equal(view.window_s, 20);
    assert.equal(view.services.web?.request_rate, 2);
    assert.equal(view.history.length, 3);
    assert.deepEqual(view.history.map((p) => p['web.request_rate']), [2, 2, 2]);
  });

  it('never runs two rounds at once, marks a failing target down, and stops cleanly', async () => {
    let reads = 0;
    let fail = false;
    const scraper = new MetricsScraper({
      obs,
      intervalMs: 60_000,
      targets: [
        {
          service: 'web',
          read: async () => {
            reads++;
            if (fail) throw new Error('registry gone');
            return 'x 1\n';
          },
        },
        { service: 'auth', url: 'http://127.0.0.1:9' },
      ],
    });
    await Promise.all([scraper.scrapeOnce(), scraper.scrapeOnce()]);
    assert.equal(reads, 1);
    fail = true;
    await scraper.scrapeOnce();
    const view = scraper.view();
    assert.equal(view.services.web?.up, false);
    assert.equal(view.services.auth?.up, false);
    scraper.start();
    scraper.start();
    await scraper.stop();
    assert.ok(reads >= 2);
  });

  it('with idleStopMs, scrapes only once the console is viewed, and stops after the idle time', async () => {
    let now = 0;
    let reads = 0;
    const scraper = new MetricsScraper({
      obs,
      intervalMs: 60_000,
      idleStopMs: 10_000,
      now: () => now,
      targets: [{ service: 'web', read: async () => (reads++, 'x 1\n') }],
    });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(reads, 0, 'nothing is scraped before anybody looks');
    scraper.view();
    await scraper.scrapeOnce();
    assert.ok(reads >= 1, 'the first view starts scraping');
    const before = reads;
    now += 10_001;
    await scraper.scrapeOnce();
    assert.equal(reads, before, 'a round after the idle time scrapes nothing and stops the interval');
    scraper.view();
    await scraper.scrapeOnce();
    assert.ok(reads > before, 'viewing again starts it again');
    await scraper.stop();
  });
});
