import type { OAuthProviderConfig } from '../config.js';
import { normaliseEmail } from '../email.js';
import { providerAvatar, providerName } from '../profile-fields.js';
import { OAuthFailure } from './failure.js';
import type { OAuthProvider } from './provider.js';
import { accessTokenOf, callProvider, codeExchangeBody, type ProviderHttp } from './provider-http.js';

const SCOPE = 'read:user user:email';

interface GitHubUser {
  id?: unknown;
  login?: unknown;
  name?: unknown;
  avatar_url?: unknown;
}

interface GitHubEmail {
  email?: unknown;
  primary?: unknown;
  verified?: unknown;
}

/**
 * GitHub OAuth apps: authorize + access_token endpoints (PKCE S256), then the REST API's
 * `/user` for the identity and `/user/emails` for the primary verified address (the
 * `email` of `/user` is only the public one, often empty and never known to be verified).
 */
export function createGitHubProvider(config: OAuthProviderConfig, http: ProviderHttp): OAuthProvider {
  const api = (path: string, accessToken: string, stage: string) =>
    callProvider(
      http,
      `${config.profileUrl}${path}`,
      { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/vnd.github+json', 'user-agent': 'samosachaat-auth', 'x-github-api-version': '2022-11-28' } },
      { peer: 'github', stage, refusal: 'profile_fetch_failed' },
    );

  return {
    name: 'github',
    authorizationUrl({ redirectUri, state, codeChallenge }) {
      const url = new URL(config.authorizeUrl);
      url.search = new URLSearchParams({
        client_id: config.clientId,
        redirect_uri: redirectUri,
        scope: SCOPE,
        state,
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
        allow_signup: 'true',
      }).toString();
      return url.toString();
    },

    async exchangeCode(exchange) {
      const body = await callProvider(
        http,
        config.tokenUrl,
        { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }, body: codeExchangeBody(config, exchange) },
        { peer: 'github', stage: 'token', refusal: 'token_exchange_failed' },
      );
      return accessTokenOf(body, 'github');
    },

    async fetchProfile(accessToken) {
      const user = (await api('/user', accessToken, 'user')) as GitHubUser;
      if ((typeof user.id !== 'number' && typeof user.id !== 'string') || String(user.id).length === 0) {
        throw new OAuthFailure('profile_fetch_failed', 'github /user answered without an id', { stage: 'user' });
      }
      const emails = await api('/user/emails', accessToken, 'emails');
      const list = Array.isArray(emails) ? (emails as GitHubEmail[]) : [];
      const primary = list.find((e) => e.primary === true && e.verified === true && typeof e.email === 'string');
      const email = primary ? normaliseEmail(primary.email as string) : undefined;
      if (!email) throw new OAuthFailure('no_verified_email', 'github account has no verified primary e-mail address', { stage: 'emails' });
      return {
        provider: 'github',
        providerId: String(user.id),
        email,
        name: providerName(user.name) ?? providerName(user.login),
        avatarUrl: providerAvatar(user.avatar_url),
      };
    },
  };
}
