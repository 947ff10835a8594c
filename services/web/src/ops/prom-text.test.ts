import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseExposition } from './prom-text.js';

describe('parseExposition', () => {
  it('reads samples with and without labels, skipping comments and blank lines', () => {
    const samples = parseExposition(
      [
        '# HELP http_requests_total Requests.',
        '# TYPE http_requests_total counter',
        'http_requests_total{service="web",route="/api/*",status="200"} 42',
        '',
        'process_start_time_seconds 1.7e9',
        'up{} 1 1700000000000',
        'weird{a="x\\"y",b="line\\nbreak",c="back\\\\slash",d="{,}"} -3.5',
        'h_bucket{le="+Inf"} +Inf',
        'nan_metric NaN',
        'neg -Inf',
      ].join('\n'),
    );
    assert.deepEqual(samples[0], { name: 'http_requests_total', labels: { service: 'web', route: '/api/*', status: '200' }, value: 42 });
    assert.deepEqual(samples[1], { name: 'process_start_time_seconds', labels: {}, value: 1.7e9 });
    assert.deepEqual(samples[2], { name: 'up', labels: {}, value: 1 });
    assert.deepEqual(samples[3]?.labels, { a: 'x"y', b: 'line\nbreak', c: 'back\\slash', d: '{,}' });
    assert.equal(samples[3]?.value, -3.5);
    assert.equal(samples[4]?.value, Number.POSITIVE_INFINITY);
    assert.ok(Number.isNaN(samples[5]?.value));
    assert.equal(samples[6]?.value, Number.NEGATIVE_INFINITY);
  });

  it('names the line of malformed input', () => {
    assert.throws(() => parseExposition('ok 1\n{service="x"} 2'), /line 2 of the exposition: no metric name/);
    assert.throws(() => parseExposition('m{service="x} 2'), /line 1 .*unterminated value of label service/);
    assert.throws(() => parseExposition('m{service=x} 2'), /expected a quoted value for label service/);
    assert.throws(() => parseExposition('m{service "x"} 2'), /expected = after label service/);
    assert.throws(() => parseExposition('m{1x="a"} 2'), /bad label name/);
    assert.throws(() => parseExposition('m twelve'), /"twelve" is not a sample value/);
    assert.throws(() => parseExposition('m'), /"" is not a sample value/);
  });
});
