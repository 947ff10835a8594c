import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@samosachaat/service-kit';
import { providerAvatar, providerName, validateAvatarUrl, validateName } from './profile-fields.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError ? err.code : 'not-an-app-error';
  }
  return undefined;
}

describe('profile fields', () => {
  it('accepts names of 1 to 100 characters, trimmed, counting characters not bytes', () => {
    assert.equal(validateName('  Asha  '), 'Asha');
    assert.equal(validateName('é'.repeat(100)), 'é'.repeat(100));
    assert.equal(validateName('🙂'.repeat(100)).length, 200);
    assert.equal(code(() => validateName('')), 'AUTH_INVALID_NAME');
    assert.equal(code(() => validateName('   ')), 'AUTH_INVALID_NAME');
    assert.equal(code(() => validateName('a'.repeat(101))), 'AUTH_INVALID_NAME');
    assert.equal(code(() => validateName('line\nbreak')), 'AUTH_INVALID_NAME');
  });

  it('accepts https avatar URLs up to 2048 characters only', () => {
    assert.equal(validateAvatarUrl('https://avatars.example.com/u/1?s=40'), 'https://avatars.example.com/u/1?s=40');
    assert.equal(code(() => validateAvatarUrl('http://avatars.example.com/u/1')), 'AUTH_INVALID_AVATAR_URL');
    assert.equal(code(() => validateAvatarUrl('javascript:alert(1)')), 'AUTH_INVALID_AVATAR_URL');
    assert.equal(code(() => validateAvatarUrl('https://user:pw@example.com/a.png')), 'AUTH_INVALID_AVATAR_URL');
    assert.equal(code(() => validateAvatarUrl(`https://example.com/${'a'.repeat(2030)}`)), 'AUTH_INVALID_AVATAR_URL');
    assert.equal(code(() => validateAvatarUrl('not a url')), 'AUTH_INVALID_AVATAR_URL');
  });

  it('cleans what providers send instead of refusing the login', () => {
    assert.equal(providerName('  Asha\u0000 R  '), 'Asha  R');
    assert.equal(providerName('x'.repeat(300))?.length, 100);
    assert.equal(providerName(''), null);
    assert.equal(providerName(42), null);
    assert.equal(providerAvatar('http://insecure.example.com/a.png'), null);
    assert.equal(providerAvatar('https://example.com/a.png'), 'https://example.com/a.png');
  });
});
