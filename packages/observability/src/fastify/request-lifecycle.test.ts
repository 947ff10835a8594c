import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatMillis } from './request-lifecycle.js';

// What the access line wrote before formatMillis: the JSON of the number rounded to 3 decimals.
const reference = (ms: number): string => JSON.stringify(Math.round(ms * 1000) / 1000);

describe('formatMillis', () => {
  it('writes milliseconds to three decimals exactly as JSON writes the rounded number', () => {
    const values = [0, -0, 0.0004, 0.0005, 0.001, 0.0015, 0.01, 0.1, 0.095, 0.1005, 1, 1.5, 1.05, 1.005, 2.675, 9.9995, 10, 99.999, 100.1, 999.9999, 1000, 1234.5678, 60_000.25, 1_073_741.823, 1_073_741.8235, 1_073_741.824, 5e6 + 0.001, 1e9 + 0.5];
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 20_000; i++) values.push(random() * 10 ** Math.floor(random() * 8));
    for (const ms of values) assert.equal(formatMillis(ms), reference(ms), `for ${ms}`);
  });

  it('keeps what JSON would write for numbers no request takes', () => {
    for (const ms of [Number.NaN, Number.POSITIVE_INFINITY, -1.5, 1e21]) assert.equal(formatMillis(ms), String(Math.round(ms * 1000) / 1000));
  });
});
