import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MigrationError, PendingMigrationsError } from './errors.js';
import { compareMigrations, historyProblem, loadMigrations, migrationChecksum, MIGRATIONS_DIR } from './migrations.js';

const dirs: string[] = [];
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'db-migrations-'));
  dirs.push(dir);
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('migration files', () => {
  it('ships 0001_initial with every table of the schema, then 0002_message_sequence, 0003_message_parts, 0004_history_version, 0005_answer_lifecycle, 0006_client_message_id, 0007_login_attempts_and_oauth_states, 0008_search_and_settings, 0009_api_keys and 0010_shared_limits', () => {
    const files = loadMigrations();
    assert.equal(MIGRATIONS_DIR.endsWith(join('packages', 'db', 'migrations')), true);
    assert.deepEqual(
      files.map((f) => [f.version, f.name]),
      [
        [1, 'initial'],
        [2, 'message_sequence'],
        [3, 'message_parts'],
        [4, 'history_version'],
        [5, 'answer_lifecycle'],
        [6, 'client_message_id'],
        [7, 'login_attempts_and_oauth_states'],
        [8, 'search_and_settings'],
        [9, 'api_keys'],
        [10, 'shared_limits'],
      ],
    );
    const sql = (files[0] as { sql: string }).sql;
    for (const table of ['users', 'refresh_tokens', 'conversations', 'messages']) assert.match(sql, new RegExp(`CREATE TABLE ${table} \\(`));
    assert.equal((files[0] as { checksum: string }).checksum, migrationChecksum(readFileSync(join(MIGRATIONS_DIR, '0001_initial.sql'), 'utf8')));
    assert.match((files[1] as { sql: string }).sql, /ALTER TABLE messages ADD COLUMN seq bigint/);
  });

  it('sorts by version and ignores files that are not .sql', () => {
    const dir = folder({ '0010_ten.sql': 'select 10;', '0002_two.sql': 'select 2;', 'README.md': '# notes' });
    assert.deepEqual(
      loadMigrations(dir).map((f) => f.file),
      ['0002_two.sql', '0010_ten.sql'],
    );
  });

  for (const [files, message] of [
    [{ '1_short.sql': '' }, /misnamed/],
    [{ '0001_Upper.sql': '' }, /misnamed/],
    [{ '0000_zero.sql': '' }, /start at 0001/],
    [{ '0003_a.sql': '', '0003_b.sql': '' }, /share version 0003/],
  ] as const) {
    it(`refuses ${Object.keys(files).join(' + ')}`, () => {
      assert.throws(() => loadMigrations(folder(files)), (err: unknown) => err instanceof MigrationError && message.test(err.message));
    });
  }

  it('refuses a missing folder', () => {
    assert.throws(() => loadMigrations(join(tmpdir(), 'no-such-migrations-folder')), MigrationError);
  });

  it('checksums ignore CRLF line endings', () => {
    assert.equal(migrationChecksum('a;\r\nb;\r\n'), migrationChecksum('a;\nb;\n'));
    assert.notEqual(migrationChecksum('a;\n'), migrationChecksum('a; \n'));
    assert.match(migrationChecksum(''), /^[0-9a-f]{64}$/);
  });
});

describe('comparing the history with the files', () => {
  const files = loadMigrations(folder({ '0001_a.sql': 'select 1;', '0002_b.sql': 'select 2;', '0003_c.sql': 'select 3;' }));
  const at = new Date('2026-01-01T00:00:00Z');
  const row = (version: number, name: string, checksum: string) => ({ version, name, checksum, applied_at: at });

  it('lists applied and pending', () => {
    const status = compareMigrations(files, [row(1, 'a', migrationChecksum('select 1;'))]);
    assert.deepEqual(status.applied, [{ version: 1, name: 'a', checksum: migrationChecksum('select 1;'), appliedAt: at }]);
    assert.deepEqual(
      status.pending.map((m) => m.version),
      [2, 3],
    );
    assert.deepEqual(status.unknown, []);
    assert.deepEqual(status.modified, []);
    assert.equal(historyProblem(status), undefined);
  });

  it('flags edited and unknown migrations', () => {
    const status = compareMigrations(files, [row(2, 'b', 'f'.repeat(64)), row(1, 'a', migrationChecksum('select 1;')), row(9, 'future', 'e'.repeat(64))]);
    assert.deepEqual(
      status.applied.map((m) => m.version),
      [1, 2, 9],
    );
    assert.deepEqual(
      status.modified.map((m) => m.version),
      [2],
    );
    assert.deepEqual(
      status.unknown.map((m) => m.name),
      ['future'],
    );
    const problem = historyProblem(status);
    assert.ok(problem instanceof MigrationError);
    assert.match(problem.message, /0002_b\.sql changed after being applied/);
    assert.match(problem.message, /0009_future that this code does not know/);
  });

  it('PendingMigrationsError lists the versions and says what to do', () => {
    const err = new PendingMigrationsError(compareMigrations(files, []).pending);
    assert.equal(err.pending.length, 3);
    assert.match(err.message, /missing 3 migrations \(0001_a, 0002_b, 0003_c\)/);
    assert.match(err.message, /samosachaat migrate/);
    assert.match(err.message, /MIGRATE_ON_START=true/);
    assert.match(new PendingMigrationsError(err.pending.slice(0, 1)).message, /missing 1 migration \(0001_a\)/);
  });
});
