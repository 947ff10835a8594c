import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStalePreparedStatement, StatementNames } from './statement-names.js';

describe('StatementNames', () => {
  it('names a text after its hash, the same in every instance, for the first `max` texts only', () => {
    const names = new StatementNames(2);
    const a = names.nameOf('SELECT 1');
    assert.match(a ?? '', /^sc_[0-9a-f]{32}$/);
    assert.equal(names.nameOf('SELECT 1'), a);
    assert.equal(new StatementNames(5).nameOf('SELECT 1'), a);
    assert.notEqual(names.nameOf('SELECT 2'), a);
    assert.equal(names.nameOf('SELECT 3'), undefined, 'past the cap: unnamed');
    assert.equal(names.nameOf('SELECT 1'), a, 'the named ones keep their names');
  });

  it('runs a forgotten text unnamed, and 0 names nothing', () => {
    const names = new StatementNames(10);
    names.nameOf('SELECT * FROM t');
    names.forget('SELECT * FROM t');
    assert.equal(names.nameOf('SELECT * FROM t'), undefined);
    assert.equal(new StatementNames(0).nameOf('SELECT 1'), undefined);
  });

  it('recognises PostgreSQL refusing a prepared statement whose columns changed', () => {
    assert.equal(isStalePreparedStatement(Object.assign(new Error('cached plan must not change result type'), { code: '0A000' })), true);
    assert.equal(isStalePreparedStatement(Object.assign(new Error('other feature'), { code: '0A000' })), false);
    assert.equal(isStalePreparedStatement(null), false);
  });
});
