import type { OAuthProviderConfig } from '../config.js';
import { normaliseEmail } from '../email.js';
import { providerAvatar, providerName } from '../profile-fields.js';
import { OAuthFailure } from './failure.js';
import type { OAuthProvider } from './provider.js';
import { accessTokenOf, callProvider, codeExchangeBody, type ProviderHttp } from './provider-http.js';

const SCOPE = 'openid email profile';

interface GoogleUserInfo {
  sub?: unknown;
  email?: unknown;
  email_verified?: unknown;
  name?: unknown;
  picture?: unknown;
}

/**
 * Google (OpenID Connect): authorize + token endpoints (PKCE S256), then the userinfo
 * endpoint for `sub`, the e-mail address and whether Google verified it. Any OpenID
 * provider with the same endpoints (a local one in tests) can stand in.
 */
export function createGoogleProvider(config: OAuthProviderConfig, http: ProviderHttp): OAuthProvider {
  return {
    name: 'google',
    authorizationUrl({ redirectUri, state, codeChallenge }) {
      const url = new URL(config.authorizeUrl);
      const params = new URLSearchParams({
        client_id: config.clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        scope: SCOPE,
        state,
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
      });
      // Google's account chooser; other OpenID providers may refuse an unsupported prompt
      // value (OpenID Connect Core §3.1.2.6), so it is only sent to Google itself.
      if (url.hostname === 'accounts.google.com') params.set('prompt', 'select_account');
      url.search = params.toString();
      return url.toString();
    },

    async exchangeCode(exchange) {
      const body = await callProvider(
        http,
        config.tokenUrl,
        { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }, body: codeExchangeBody(config, exchange) },
        { peer: 'google', stage: 'token', refusal: 'token_exchange_failed' },
      );
      return accessTokenOf(body, 'google');
    },

    async fetchProfile(accessToken) {
      const info = (await callProvider(
        http,
        config.profileUrl,
        { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' } },
        { peer: 'google', stage: 'userinfo', refusal: 'profile_fetch_failed' },
      )) as GoogleUserInfo;
      if (typeof info.sub !== 'string' || info.sub.length === 0) throw new OAuthFailure('profile_fetch_failed', 'google userinfo answered without a subject', { stage: 'userinfo' });
      const verified = info.email_verified === true || info.email_verified === 'true';
      const email = verified && typeof info.email === 'string' ? normaliseEmail(info.email) : undefined;
      if (!email) throw new OAuthFailure('no_verified_email', 'google account has no verified e-mail address', { stage: 'userinfo' });
      return { provider: 'google', providerId: info.sub, email, name: providerName(info.name), avatarUrl: providerAvatar(info.picture) };
    },
  };
}
