import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GenerationStats } from './generation-stats.js';

describe('GenerationStats', () => {
  it('counts outcomes and tokens, and averages tokens/s over the last minute only', () => {
    let now = 1_000_000;
    const stats = new GenerationStats(() => now);
    stats.addTokens(30);
    now += 1000;
    stats.addTokens(30);
    stats.finished('completed');
    stats.finished('upstream_error');
    stats.finished('timeout');
    stats.finished('client_disconnected');
    assert.equal(stats.tokensPerSecond(), 1);
    let json = stats.toJSON();
    assert.equal(json.tokens_generated, 60);
    assert.deepEqual(json.generations, { completed: 1, failed: 2, client_disconnected: 1, by_outcome: { completed: 1, client_disconnected: 1, upstream_error: 1, timeout: 1, shutdown: 0 } });
    assert.equal(json.uptime_seconds, 1);
    now += 59_500; // the first second has left the window
    assert.equal(stats.tokensPerSecond(), 0.5);
    now += 120_000;
    stats.addTokens(6); // a bucket reused two minutes later starts from zero
    assert.equal(stats.tokensPerSecond(), 0.1);
    json = stats.toJSON();
    assert.equal(json.tokens_generated, 66);
  });
});
