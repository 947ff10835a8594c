import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { baseMetricName, metricNames } from './promql-names.js';

describe('metricNames', () => {
  it('finds the metric of a histogram quantile, not the functions or grouping labels', () => {
    assert.deepEqual(
      metricNames('histogram_quantile(0.95, sum by (service, le) (rate(http_request_duration_seconds_bucket[5m])))'),
      ['http_request_duration_seconds_bucket'],
    );
  });

  it('ignores label matchers, strings, keywords and numbers', () => {
    const expr = `service:http_requests_5xx:ratio_rate5m > 0.05
      and on (service) service:http_requests:rate5m >= 1e-1
      or label_replace(sum without (instance) (rate(inference_rejected_total{reason="over_capacity"}[5m] offset 1m)), "cause", "x", "", "")
      unless bool up{job=~"auth|chat-api"} # a comment naming not_a_metric`;
    assert.deepEqual(metricNames(expr), [
      'service:http_requests_5xx:ratio_rate5m',
      'service:http_requests:rate5m',
      'inference_rejected_total',
      'up',
    ]);
  });

  it('lists each name once, in order', () => {
    assert.deepEqual(metricNames('node_a / node_b + node_a * group_left (x) node_c'), ['node_a', 'node_b', 'node_c']);
  });
});

describe('baseMetricName', () => {
  it('maps histogram series to their metric and leaves others alone', () => {
    assert.equal(baseMetricName('http_request_duration_seconds_bucket'), 'http_request_duration_seconds');
    assert.equal(baseMetricName('db_query_duration_seconds_count'), 'db_query_duration_seconds');
    assert.equal(baseMetricName('http_stream_duration_seconds_sum'), 'http_stream_duration_seconds');
    assert.equal(baseMetricName('http_requests_total'), 'http_requests_total');
  });
});
