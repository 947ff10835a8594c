import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isForeignKeyViolation, isUniqueViolation, sqlState } from './errors.js';
import { checkOperation, errorCodeLabel, firstKeyword, sqlVerb } from './instrumentation.js';
import { parseInt8 } from './type-parsers.js';
import { describePostgresUrl } from './postgres-driver.js';

describe('operation labels', () => {
  for (const [sql, verb] of [
    ['SELECT 1', 'select'],
    ['  select * from users', 'select'],
    ['\n-- who\n/* block */ INSERT INTO users VALUES ($1)', 'insert'],
    ['(select 1) union (select 2)', 'select'],
    ['update users set name = $1', 'update'],
    ['DELETE FROM users', 'delete'],
    ['WITH x AS (SELECT 1) SELECT * FROM x', 'other'],
    ['CREATE TABLE t (id int)', 'other'],
    ['', 'other'],
    ['/* unterminated', 'other'],
    ['-- only a comment', 'other'],
  ] as const) {
    it(`${JSON.stringify(sql)} → ${verb}`, () => assert.equal(sqlVerb(sql), verb));
  }

  it('first keyword is lower case and bounded', () => {
    assert.equal(firstKeyword('BEGIN'), 'begin');
    assert.equal(firstKeyword('123'), '');
  });

  it('accepts short fixed names, refuses values', () => {
    for (const ok of ['users.upsert', 'messages.list_by_conversation', 'ping', 'a-b', 'x'.repeat(64)]) checkOperation(ok);
    for (const bad of ['Users.Upsert', 'users upsert', 'user:8d0c', '', 'x'.repeat(65), '1abc', "users.find('a@b.c')"]) {
      assert.throws(() => checkOperation(bad), TypeError, bad);
    }
  });
});

describe('errors', () => {
  it('SQLSTATE and its class', () => {
    const unique = Object.assign(new Error('duplicate key value violates unique constraint "users_email_key"'), { code: '23505', constraint: 'users_email_key' });
    assert.equal(sqlState(unique), '23505');
    assert.equal(errorCodeLabel(unique), '23');
    assert.equal(isUniqueViolation(unique), true);
    assert.equal(isUniqueViolation(unique, 'users_email_key'), true);
    assert.equal(isUniqueViolation(unique, 'other'), false);
    assert.equal(isForeignKeyViolation(unique), false);
    assert.equal(isForeignKeyViolation({ code: '23503' }), true);
    assert.equal(errorCodeLabel(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })), 'connection');
    assert.equal(errorCodeLabel(new Error('Connection terminated unexpectedly')), 'connection');
    assert.equal(errorCodeLabel(new Error('boom')), 'other');
    assert.equal(errorCodeLabel(null), 'other');
    assert.equal(sqlState({ code: 'ECONNREFUSED' }), undefined);
    assert.equal(sqlState(undefined), undefined);
  });
});

describe('types and URLs', () => {
  it('int8 is a number while it is exact, a BigInt beyond', () => {
    assert.equal(parseInt8('42'), 42);
    assert.equal(parseInt8('-9007199254740991'), -9007199254740991);
    assert.equal(parseInt8('9007199254740993'), 9007199254740993n);
  });

  it('describes a server without credentials or parameters', () => {
    assert.deepEqual(describePostgresUrl('postgres://admin:s3cret@db.internal:6543/chat?sslmode=require'), {
      description: 'postgres://db.internal:6543/chat',
      host: 'db.internal',
      port: 6543,
      database: 'chat',
    });
    assert.equal(describePostgresUrl('postgresql://me@localhost').description, 'postgres://localhost:5432/me');
    assert.equal(describePostgresUrl('postgres:///app?host=/run/postgresql').description, 'postgres://%2Frun%2Fpostgresql:5432/app');
  });
});
