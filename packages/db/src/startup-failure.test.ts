import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '@samosachaat/service-kit';
import { DatabaseUnavailableError, migrationLabel, PendingMigrationsError } from './errors.js';
import { explainDatabaseFailure } from './startup-failure.js';

const where = 'postgres://127.0.0.1:1/app';
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'FATAL' });

describe('migrationLabel', () => {
  it('spells a migration as its file does, without .sql', () => {
    assert.equal(migrationLabel({ version: 4, name: 'history_version' }), '0004_history_version');
    assert.equal(migrationLabel({ version: 12, name: 'x' }), '0012_x');
  });
});

describe('explainDatabaseFailure', () => {
  it('names DATABASE_URL, the server and the fix when nothing answers, however the error is wrapped', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const expected =
      'DATABASE_URL: cannot connect to postgres://127.0.0.1:1/app (ECONNREFUSED): start that PostgreSQL server or correct DATABASE_URL (unset it to use the embedded PGlite database in DATA_DIR)';
    assert.equal(explainDatabaseFailure(refused, where), expected);
    assert.equal(explainDatabaseFailure(new DatabaseUnavailableError(refused), where), expected);
    assert.equal(explainDatabaseFailure(new AggregateError([refused], 'connect failed'), where), expected);
    assert.match(explainDatabaseFailure(Object.assign(new Error('getaddrinfo ENOTFOUND db.invalid'), { code: 'ENOTFOUND' }), where), /^DATABASE_URL: cannot connect to .* \(ENOTFOUND\)/);
    assert.match(explainDatabaseFailure(new Error('timeout exceeded when trying to connect'), where), /^DATABASE_URL: cannot connect to .* \(timeout exceeded when trying to connect\)/);
  });

  it('says which part of DATABASE_URL to correct for a refused login or a missing database', () => {
    assert.equal(
      explainDatabaseFailure(pgError('28P01', 'password authentication failed for user "app"'), where),
      'DATABASE_URL: postgres://127.0.0.1:1/app refused the login (password authentication failed for user "app"): correct the user and password in DATABASE_URL',
    );
    assert.equal(
      explainDatabaseFailure(pgError('3D000', 'database "app" does not exist'), where),
      'DATABASE_URL: database "app" does not exist on postgres://127.0.0.1:1/app: create it (`createdb`) or correct the database name in DATABASE_URL',
    );
  });

  it('keeps messages that already name the variable and the fix, and names DATA_DIR for the embedded database', () => {
    const config = new ConfigError('DATABASE_URL', 'must be a postgres:// or postgresql:// URL (it could not be parsed)');
    assert.equal(explainDatabaseFailure(config, undefined), config.message);
    const pending = new PendingMigrationsError([{ version: 1, name: 'initial', checksum: '' }]);
    assert.equal(explainDatabaseFailure(pending, where), pending.message);
    assert.match(explainDatabaseFailure(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }), 'pglite:/data/pglite'), /^DATA_DIR: the embedded database \/data\/pglite cannot be opened \(EACCES: permission denied\): make DATA_DIR a writable folder/);
  });
});
