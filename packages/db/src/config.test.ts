import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '@samosachaat/service-kit';
import { databaseConfigFromEnv } from './config.js';

describe('databaseConfigFromEnv', () => {
  it('defaults to PGlite in ./.data, no migration at start', () => {
    assert.deepEqual(databaseConfigFromEnv({}), { dataDir: resolve('./.data'), migrateOnStart: false });
  });

  it('reads DATABASE_URL, DATA_DIR (resolved absolute) and MIGRATE_ON_START', () => {
    const config = databaseConfigFromEnv({ DATABASE_URL: ' postgresql://u:p@db.internal:6543/app ', DATA_DIR: 'var/data', MIGRATE_ON_START: 'TRUE' });
    assert.deepEqual(config, { url: 'postgresql://u:p@db.internal:6543/app', dataDir: resolve('var/data'), migrateOnStart: true });
    assert.equal(databaseConfigFromEnv({ DATABASE_URL: 'postgres://h/db', MIGRATE_ON_START: 'false' }).migrateOnStart, false);
    assert.equal(databaseConfigFromEnv({ MIGRATE_ON_START: '1' }).migrateOnStart, true);
    assert.equal(databaseConfigFromEnv({ DATABASE_URL: '   ', MIGRATE_ON_START: '' }).url, undefined);
  });

  it('reads DATABASE_PREPARED_STATEMENTS (a whole number, 0 = none) and names it when bad', () => {
    assert.equal(databaseConfigFromEnv({ DATABASE_PREPARED_STATEMENTS: '64' }).preparedStatements, 64);
    assert.equal(databaseConfigFromEnv({ DATABASE_PREPARED_STATEMENTS: '0' }).preparedStatements, 0);
    assert.equal(databaseConfigFromEnv({}).preparedStatements, undefined, 'unset: openDatabase applies its default (256)');
    for (const bad of ['all', '-1', '2.5', '10001']) {
      assert.throws(
        () => databaseConfigFromEnv({ DATABASE_PREPARED_STATEMENTS: bad }),
        (err: unknown) => err instanceof ConfigError && err.variable === 'DATABASE_PREPARED_STATEMENTS' && err.message.includes(`"${bad}"`),
      );
    }
  });

  it('reads DATABASE_QUERY_TIMEOUT_MS (a whole number of ms, 0 = none) and names it when bad', () => {
    assert.equal(databaseConfigFromEnv({ DATABASE_QUERY_TIMEOUT_MS: '2500' }).queryTimeoutMs, 2500);
    assert.equal(databaseConfigFromEnv({ DATABASE_QUERY_TIMEOUT_MS: '0' }).queryTimeoutMs, 0);
    assert.equal(databaseConfigFromEnv({}).queryTimeoutMs, undefined, 'unset: openDatabase applies its default (5000)');
    for (const bad of ['soon', '-1', '1.5', '600001']) {
      assert.throws(
        () => databaseConfigFromEnv({ DATABASE_QUERY_TIMEOUT_MS: bad }),
        (err: unknown) => err instanceof ConfigError && err.variable === 'DATABASE_QUERY_TIMEOUT_MS' && err.message.includes(`"${bad}"`),
      );
    }
  });

  for (const [value, expected] of [
    ['mysql://root:hunter2@db/app', /postgres:\/\/ or postgresql:\/\/ URL, got a mysql:\/\/ URL/],
    ['not a url hunter2', /could not be parsed/],
    ['postgres:///app?x=hunter2', /must name a host/],
  ] as const) {
    it(`rejects DATABASE_URL ${value.split(':')[0]} without echoing it`, () => {
      assert.throws(
        () => databaseConfigFromEnv({ DATABASE_URL: value }),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.equal(err.variable, 'DATABASE_URL');
          assert.match(err.message, expected);
          assert.doesNotMatch(err.message, /hunter2/);
          return true;
        },
      );
    });
  }

  it('accepts a unix-socket URL whose host is a parameter', () => {
    assert.equal(databaseConfigFromEnv({ DATABASE_URL: 'postgres:///app?host=/var/run/postgresql' }).url, 'postgres:///app?host=/var/run/postgresql');
  });

  it('rejects a MIGRATE_ON_START that is not a boolean, and DATA_DIR under /proc', () => {
    assert.throws(() => databaseConfigFromEnv({ MIGRATE_ON_START: 'sometimes' }), (err: unknown) => err instanceof ConfigError && err.variable === 'MIGRATE_ON_START');
    assert.throws(() => databaseConfigFromEnv({ DATA_DIR: '/proc/self' }), (err: unknown) => err instanceof ConfigError && err.variable === 'DATA_DIR');
  });

  it('reads process.env by default', () => {
    const saved = process.env.MIGRATE_ON_START;
    process.env.MIGRATE_ON_START = 'yes';
    try {
      assert.equal(databaseConfigFromEnv().migrateOnStart, true);
    } finally {
      if (saved === undefined) delete process.env.MIGRATE_ON_START;
      else process.env.MIGRATE_ON_START = saved;
    }
  });
});

describe('openDatabase', () => {
  it('refuses a non-PostgreSQL URL with a ConfigError naming DATABASE_URL', async () => {
    const { openDatabase } = await import('./database.js');
    await assert.rejects(openDatabase({ url: 'mysql://root:hunter2@db/app' }), (err: unknown) => err instanceof ConfigError && err.variable === 'DATABASE_URL' && !err.message.includes('hunter2'));
  });
});
