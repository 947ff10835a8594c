import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, describeError } from '@samosachaat/service-kit';
import { DatabaseUnavailableError, isDatabaseUnavailable } from './errors.js';

describe('isDatabaseUnavailable', () => {
  it('is true for connection-level failures and overload, false for a bad query', () => {
    const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code, severity: 'ERROR' });
    for (const err of [
      new Error('timeout exceeded when trying to connect'),
      new Error('Connection terminated unexpectedly'),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      pgError('53300'), // too many connections
      pgError('57014'), // statement timeout
      pgError('08006'), // connection failure
    ]) {
      assert.equal(isDatabaseUnavailable(err), true, err.message);
    }
    for (const err of [pgError('23505'), pgError('42601'), new Error('tx.query() after its transaction ended'), undefined, 'text']) {
      assert.equal(isDatabaseUnavailable(err), false, String(err));
    }
  });

  it('becomes a 503 DATABASE_UNAVAILABLE with Retry-After in every service', () => {
    const err = new DatabaseUnavailableError(new Error('timeout exceeded when trying to connect'));
    assert.ok(err instanceof AppError);
    assert.equal(err.retryAfterSeconds, 2);
    assert.deepEqual(describeError(err), { status: 503, code: 'DATABASE_UNAVAILABLE', message: 'the database is unavailable or overloaded; retry shortly', internal: true });
  });
});
