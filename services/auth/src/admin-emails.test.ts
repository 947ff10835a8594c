import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAdminEmail, parseAdminEmails } from './admin-emails.js';

describe('ADMIN_EMAILS', () => {
  it('parses a comma list, trimmed and lower-cased, ignoring blanks', () => {
    const admins = parseAdminEmails(' Asha@Example.com, ops@example.org ,, ');
    assert.deepEqual([...admins], ['asha@example.com', 'ops@example.org']);
  });

  it('matches case-insensitively', () => {
    const admins = parseAdminEmails('asha@example.com');
    assert.equal(isAdminEmail(admins, 'ASHA@example.COM'), true);
    assert.equal(isAdminEmail(admins, 'asha@example.co'), false);
    assert.equal(isAdminEmail(admins, 'xasha@example.com'), false);
  });

  it('is empty when unset or blank', () => {
    assert.equal(parseAdminEmails(undefined).size, 0);
    assert.equal(parseAdminEmails('  ').size, 0);
  });

  it('refuses an entry that is not an address, naming it', () => {
    assert.throws(() => parseAdminEmails('asha@example.com; ops@example.org'), /"asha@example.com; ops@example.org" is not an e-mail address/);
    assert.throws(() => parseAdminEmails('asha@example.com,root'), /"root" is not an e-mail address/);
  });
});
