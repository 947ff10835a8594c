import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Database } from '@samosachaat/db';
import type { Logger } from '@samosachaat/observability';
import { UsageRecorder } from './usage-recorder.js';

interface Call {
  sql: string;
  params: unknown[];
}

function stubDb(failFirst: boolean): { db: Database; calls: Call[] } {
  const calls: Call[] = [];
  let failed = !failFirst;
  const db = {
    async query(sql: string, params: unknown[] = []) {
      calls.push({ sql, params });
      if (!failed) {
        failed = true;
        throw new Error('database unavailable');
      }
      return { rows: [], rowCount: 0 };
    },
  } as unknown as Database;
  return { db, calls };
}

const warnings: unknown[] = [];
const log = { warning: (...args: unknown[]) => warnings.push(args) } as unknown as Logger;

describe('UsageRecorder', () => {
  it('writes every key used since the last flush in one statement, adding up per key', async () => {
    const { db, calls } = stubDb(false);
    const usage = new UsageRecorder(db, 60_000, log);
    usage.add('k1', 'u1', 10, 2);
    usage.add('k1', 'u1', 5, 3);
    usage.add('k2', 'u2', 1, 1);
    assert.equal(calls.length, 0, 'no write per request');
    await usage.flush();
    assert.equal(calls.length, 1, 'one statement for the batch');
    const [ids, users, requests, prompt, completion] = calls[0]?.params as unknown[][];
    assert.deepEqual([ids, users, requests, prompt, completion], [['k1', 'k2'], ['u1', 'u2'], [2, 1], [15, 1], [5, 1]]);
    await usage.flush();
    assert.equal(calls.length, 1, 'nothing pending, nothing written');
  });

  it('keeps the counts of a failed flush for the next one', async () => {
    const { db, calls } = stubDb(true);
    const usage = new UsageRecorder(db, 60_000, log);
    usage.add('k1', 'u1', 10, 2);
    await usage.flush();
    usage.add('k1', 'u1', 1, 1);
    await usage.flush();
    assert.equal(calls.length, 2);
    const [ids, , requests, prompt, completion] = calls[1]?.params as unknown[][];
    assert.deepEqual([ids, requests, prompt, completion], [['k1'], [2], [11], [3]]);
    assert.equal(warnings.length, 1, 'the failure is logged once');
  });
});
