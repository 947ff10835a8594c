import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '@samosachaat/service-kit';
import { configFromEnv } from './config.js';

const KEY = 'k'.repeat(32);

function configError(env: Record<string, string>): ConfigError {
  try {
    configFromEnv(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('configFromEnv accepted the environment');
}

describe('configFromEnv', () => {
  it('has the embedded defaults', () => {
    const config = configFromEnv({ INTERNAL_API_KEY: KEY });
    assert.equal(config.port, 8001);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.localMode, false);
    assert.equal(config.publicUrl, 'http://127.0.0.1:8001');
    assert.equal(config.webUrl, 'http://127.0.0.1:3000');
    assert.equal(config.accessTokenTtlSeconds, 3600);
    assert.equal(config.refreshTokenTtlSeconds, 604_800);
    assert.equal(config.jwtPrivateKeyPath, resolve('.data/keys/jwt-private.pem'));
    assert.equal(config.jwtPublicKeyPath, resolve('.data/keys/jwt-public.pem'));
    assert.equal(config.secureCookies, true);
    assert.equal(config.devLogin, false);
    assert.equal(config.trustProxy, false);
    assert.deepEqual(configFromEnv({ INTERNAL_API_KEY: KEY, SAMOSACHAAT_LOCAL: 'true' }).trustProxy, ['loopback'], 'local mode trusts web on the same machine');
    assert.deepEqual(config.loginRateLimit, { max: 10, windowSeconds: 60 });
    assert.deepEqual(config.providers, {});
    assert.equal(config.cookieSecret, KEY, 'the cookie key is derived from INTERNAL_API_KEY by default');
    assert.ok(Object.isFrozen(config));
  });

  it('puts keys under DATA_DIR and turns on the development login and plain cookies in local mode', () => {
    const config = configFromEnv({ INTERNAL_API_KEY: KEY, DATA_DIR: '/tmp/sc-data', SAMOSACHAAT_LOCAL: 'true' });
    assert.equal(config.jwtPrivateKeyPath, '/tmp/sc-data/keys/jwt-private.pem');
    assert.equal(config.devLogin, true);
    assert.equal(config.secureCookies, false);
    assert.equal(configFromEnv({ INTERNAL_API_KEY: KEY, SAMOSACHAAT_LOCAL: 'true', DEV_LOGIN: 'false' }).devLogin, false, 'local mode may turn it off');
  });

  it('derives the cookie path prefix from AUTH_PUBLIC_URL', () => {
    assert.equal(configFromEnv({ INTERNAL_API_KEY: KEY }).publicPathPrefix, '');
    const proxied = configFromEnv({ INTERNAL_API_KEY: KEY, AUTH_PUBLIC_URL: 'https://chat.example.com/api/' });
    assert.equal(proxied.publicUrl, 'https://chat.example.com/api');
    assert.equal(proxied.publicPathPrefix, '/api');
  });

  it('never lets DEV_LOGIN turn the development login on outside local mode, and says so', () => {
    const config = configFromEnv({ INTERNAL_API_KEY: KEY, DEV_LOGIN: 'true' });
    assert.equal(config.devLogin, false);
    assert.equal(config.notices.length, 1);
    assert.equal(config.notices[0]?.variable, 'DEV_LOGIN');
  });

  it('configures a provider only with both id and secret, with overridable endpoints', () => {
    const config = configFromEnv({
      INTERNAL_API_KEY: KEY,
      GITHUB_CLIENT_ID: 'gh-id',
      GITHUB_CLIENT_SECRET: 'gh-secret',
      GITHUB_API_URL: 'http://127.0.0.1:9999/api/',
    });
    assert.deepEqual(config.providers.github, {
      name: 'github',
      clientId: 'gh-id',
      clientSecret: 'gh-secret',
      authorizeUrl: 'https://github.com/login/oauth/authorize',
      tokenUrl: 'https://github.com/login/oauth/access_token',
      profileUrl: 'http://127.0.0.1:9999/api',
    });
    assert.equal(config.providers.google, undefined);
    assert.equal(configError({ INTERNAL_API_KEY: KEY, GOOGLE_CLIENT_ID: 'id' }).variable, 'GOOGLE_CLIENT_SECRET');
    assert.equal(configError({ INTERNAL_API_KEY: KEY, GITHUB_CLIENT_SECRET: 's' }).variable, 'GITHUB_CLIENT_ID');
  });

  it('names the variable at fault', () => {
    assert.equal(configError({}).variable, 'INTERNAL_API_KEY');
    assert.equal(configError({ INTERNAL_API_KEY: 'short' }).variable, 'INTERNAL_API_KEY');
    assert.equal(configError({ INTERNAL_API_KEY: KEY, AUTH_COOKIE_SECRET: 'short' }).variable, 'AUTH_COOKIE_SECRET');
    assert.equal(configError({ INTERNAL_API_KEY: KEY, PORT: 'eighty' }).variable, 'PORT');
    assert.equal(configError({ INTERNAL_API_KEY: KEY, SAMOSACHAAT_LOCAL: 'maybe' }).variable, 'SAMOSACHAAT_LOCAL');
    assert.equal(configError({ INTERNAL_API_KEY: KEY, WEB_URL: 'ftp://x' }).variable, 'WEB_URL');
    assert.equal(configError({ INTERNAL_API_KEY: KEY, AUTH_PUBLIC_URL: 'not a url' }).variable, 'AUTH_PUBLIC_URL');
    assert.equal(configError({ INTERNAL_API_KEY: KEY, ACCESS_TOKEN_TTL_SECONDS: '5' }).variable, 'ACCESS_TOKEN_TTL_SECONDS');
    assert.equal(configError({ INTERNAL_API_KEY: KEY, ADMIN_EMAILS: 'root' }).variable, 'ADMIN_EMAILS');
    assert.equal(configError({ INTERNAL_API_KEY: KEY, TRUST_PROXY: 'sometimes' }).variable, 'TRUST_PROXY');
    assert.match(configError({ INTERNAL_API_KEY: 'short' }).message, /^INTERNAL_API_KEY: must be at least 32 characters/);
  });
});
