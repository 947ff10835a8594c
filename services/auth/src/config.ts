import { join, resolve } from 'node:path';
import { ConfigError, envBoolean, envInteger, envInternalApiKey, envText, envTrustProxy, serverTimeoutsFromEnv, type ServerTimeouts, type TrustProxy } from '@samosachaat/service-kit';
import { parseAdminEmails } from './admin-emails.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The OAuth providers the service knows how to talk to. */
export const OAUTH_PROVIDERS = ['github', 'google'] as const;
/** One of {@link OAUTH_PROVIDERS}. */
export type OAuthProviderName = (typeof OAUTH_PROVIDERS)[number];

/** The endpoints and credentials of one configured OAuth provider. */
export interface OAuthProviderConfig {
  readonly name: OAuthProviderName;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  /** GitHub: the REST API base (`/user`, `/user/emails`). Google: the OpenID userinfo endpoint. */
  readonly profileUrl: string;
}

/** A setting the service accepted but did not honour; logged once at start. */
export interface ConfigNotice {
  readonly variable: string;
  readonly detail: string;
}

/** The auth service's settings, validated once at start and frozen. */
export interface AuthConfig {
  readonly host: string;
  readonly port: number;
  /** SAMOSACHAAT_LOCAL: the embedded one-machine mode. */
  readonly localMode: boolean;
  readonly internalApiKey: string;
  readonly dataDir: string;
  /** Where this service is reached by browsers; OAuth redirect URIs are built from it. */
  readonly publicUrl: string;
  /**
   * The path prefix of {@link publicUrl} (`''`, or `/api` behind a proxy that mounts the
   * service there); cookie paths start with it so browsers send them back through the proxy.
   */
  readonly publicPathPrefix: string;
  /** Where the web app lives; logins end at `${webUrl}/auth/complete` or `/auth/error`. */
  readonly webUrl: string;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly jwtPrivateKeyPath: string;
  readonly jwtPublicKeyPath: string;
  /** Key material the OAuth state cookie's encryption key is derived from. */
  readonly cookieSecret: string;
  /** Mark cookies `Secure` (everywhere but local mode). */
  readonly secureCookies: boolean;
  readonly adminEmails: ReadonlySet<string>;
  readonly providers: Readonly<Partial<Record<OAuthProviderName, OAuthProviderConfig>>>;
  /** `POST /auth/dev-login`; only ever true in local mode. */
  readonly devLogin: boolean;
  /**
   * Who may name the client's address in X-Forwarded-For: web, and only web (the login limits
   * key on it). Local mode trusts loopback, where `npm start` runs web; a cluster sets the
   * hop count (its network policy lets only web and chat-api reach auth).
   */
  readonly trustProxy: TrustProxy;
  readonly loginRateLimit: { readonly max: number; readonly windowSeconds: number };
  /** Time budget of each call to an OAuth provider. */
  readonly providerTimeoutMs: number;
  /** HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS, HTTP_KEEP_ALIVE_TIMEOUT_MS. */
  readonly serverTimeouts: ServerTimeouts;
  readonly notices: readonly ConfigNotice[];
}

const KEY_MIN_LENGTH = 32;




/** An absolute http(s) URL without a trailing slash. */
function httpUrl(env: Env, name: string, fallback: string): string {
  const raw = envText(env, name) ?? fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be an absolute http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(name, `must be an http(s) URL, got "${raw}"`);
  if (url.search || url.hash) throw new ConfigError(name, `must not carry a query string or fragment, got "${raw}"`);
  return url.toString().replace(/\/+$/, '');
}

const PROVIDER_DEFAULTS: Record<OAuthProviderName, { prefix: string; authorize: string; token: string; profileVar: string; profile: string }> = {
  github: {
    prefix: 'GITHUB',
    authorize: 'https://github.com/login/oauth/authorize',
    token: 'https://github.com/login/oauth/access_token',
    profileVar: 'GITHUB_API_URL',
    profile: 'https://api.github.com',
  },
  google: {
    prefix: 'GOOGLE',
    authorize: 'https://accounts.google.com/o/oauth2/v2/auth',
    token: 'https://oauth2.googleapis.com/token',
    profileVar: 'GOOGLE_USERINFO_URL',
    profile: 'https://openidconnect.googleapis.com/v1/userinfo',
  },
};

function providerFromEnv(env: Env, name: OAuthProviderName): OAuthProviderConfig | undefined {
  const d = PROVIDER_DEFAULTS[name];
  const clientId = envText(env, `${d.prefix}_CLIENT_ID`);
  const clientSecret = envText(env, `${d.prefix}_CLIENT_SECRET`);
  if (!clientId && !clientSecret) return undefined;
  // Half a configuration is a typo, not a choice: say which half is missing.
  if (!clientId) throw new ConfigError(`${d.prefix}_CLIENT_ID`, `is empty but ${d.prefix}_CLIENT_SECRET is set; set both to enable ${name} login, or neither`);
  if (!clientSecret) throw new ConfigError(`${d.prefix}_CLIENT_SECRET`, `is empty but ${d.prefix}_CLIENT_ID is set; set both to enable ${name} login, or neither`);
  return Object.freeze({
    name,
    clientId,
    clientSecret,
    authorizeUrl: httpUrl(env, `${d.prefix}_AUTHORIZE_URL`, d.authorize),
    tokenUrl: httpUrl(env, `${d.prefix}_TOKEN_URL`, d.token),
    profileUrl: httpUrl(env, d.profileVar, d.profile),
  });
}

/**
 * Reads and validates every variable the auth service uses, once, at start. A bad value
 * throws a {@link ConfigError} naming the variable. Defaults are the embedded local ones.
 */
export function configFromEnv(env: Env = process.env): AuthConfig {
  const localMode = envBoolean(env, 'SAMOSACHAAT_LOCAL', false);
  const internalApiKey = envInternalApiKey(env, `at least ${KEY_MIN_LENGTH} characters; \`npm start\` generates one per run`);
  const cookieSecret = envText(env, 'AUTH_COOKIE_SECRET');
  if (cookieSecret !== undefined && cookieSecret.length < KEY_MIN_LENGTH) throw new ConfigError('AUTH_COOKIE_SECRET', `must be at least ${KEY_MIN_LENGTH} characters, got ${cookieSecret.length}`);

  const dataDir = resolve(envText(env, 'DATA_DIR') ?? './.data');
  const publicUrl = httpUrl(env, 'AUTH_PUBLIC_URL', 'http://127.0.0.1:8001');
  const notices: ConfigNotice[] = [];
  const devLoginWanted = envBoolean(env, 'DEV_LOGIN', localMode);
  if (devLoginWanted && !localMode) notices.push({ variable: 'DEV_LOGIN', detail: 'ignored: the development login only exists in local mode (SAMOSACHAAT_LOCAL=true)' });

  const providers: Partial<Record<OAuthProviderName, OAuthProviderConfig>> = {};
  for (const name of OAUTH_PROVIDERS) {
    const provider = providerFromEnv(env, name);
    if (provider) providers[name] = provider;
  }

  let adminEmails: ReadonlySet<string>;
  try {
    adminEmails = parseAdminEmails(env.ADMIN_EMAILS);
  } catch (err) {
    throw new ConfigError('ADMIN_EMAILS', (err as Error).message);
  }

  return Object.freeze({
    host: envText(env, 'HOST') ?? '127.0.0.1',
    port: envInteger(env, 'PORT', 8001, 0, 65_535),
    localMode,
    internalApiKey,
    dataDir,
    publicUrl,
    publicPathPrefix: new URL(publicUrl).pathname.replace(/\/+$/, ''),
    webUrl: httpUrl(env, 'WEB_URL', 'http://127.0.0.1:3000'),
    accessTokenTtlSeconds: envInteger(env, 'ACCESS_TOKEN_TTL_SECONDS', 3600, 60, 86_400),
    refreshTokenTtlSeconds: envInteger(env, 'REFRESH_TOKEN_TTL_SECONDS', 604_800, 300, 90 * 86_400),
    jwtPrivateKeyPath: resolve(envText(env, 'JWT_PRIVATE_KEY_PATH') ?? join(dataDir, 'keys', 'jwt-private.pem')),
    jwtPublicKeyPath: resolve(envText(env, 'JWT_PUBLIC_KEY_PATH') ?? join(dataDir, 'keys', 'jwt-public.pem')),
    cookieSecret: cookieSecret ?? internalApiKey,
    secureCookies: !localMode,
    adminEmails,
    providers: Object.freeze(providers),
    devLogin: localMode && devLoginWanted,
    trustProxy: envTrustProxy(env, 'TRUST_PROXY', localMode ? Object.freeze(['loopback']) : false),
    loginRateLimit: Object.freeze({
      max: envInteger(env, 'LOGIN_RATE_LIMIT', 10, 1, 10_000),
      windowSeconds: envInteger(env, 'LOGIN_RATE_WINDOW_SECONDS', 60, 1, 86_400),
    }),
    providerTimeoutMs: envInteger(env, 'OAUTH_TIMEOUT_MS', 10_000, 100, 120_000),
    serverTimeouts: serverTimeoutsFromEnv(env),
    notices: Object.freeze(notices),
  });
}
