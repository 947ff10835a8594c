import type { OAuthProviderConfig, OAuthProviderName } from '../config.js';
import type { ProviderProfile } from '../users.js';
import { createGitHubProvider } from './github.js';
import { createGoogleProvider } from './google.js';
import type { ProviderHttp } from './provider-http.js';

/** What starting a sign-in needs to tell the provider. */
export interface AuthorizationRequest {
  redirectUri: string;
  state: string;
  codeChallenge: string;
}

/** One OAuth 2 provider, as the routes use it. */
export interface OAuthProvider {
  readonly name: OAuthProviderName;
  /** The provider's authorize URL with client id, redirect URI, scope, state and S256 challenge. */
  authorizationUrl(request: AuthorizationRequest): string;
  /** Trades the authorization code (with the PKCE verifier) for the provider's access token. */
  exchangeCode(exchange: { code: string; redirectUri: string; codeVerifier: string }): Promise<string>;
  /** The person behind a provider access token, with a verified e-mail address. */
  fetchProfile(accessToken: string): Promise<ProviderProfile>;
}

/** Builds the client of a configured provider. */
export function createOAuthProvider(config: OAuthProviderConfig, http: ProviderHttp): OAuthProvider {
  return config.name === 'github' ? createGitHubProvider(config, http) : createGoogleProvider(config, http);
}
