import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** A GitHub account as the fake's REST API shows it. */
export interface FakeGitHubAccount {
  id: number;
  login: string;
  name: string | null;
  avatar_url: string;
  emails: Array<{ email: string; primary: boolean; verified: boolean }>;
}

/** A Google account as the fake's userinfo endpoint shows it. */
export interface FakeGoogleAccount {
  sub: string;
  email: string;
  email_verified: boolean;
  name: string;
  picture: string;
}

type Provider = 'github' | 'google';

interface IssuedCode {
  provider: Provider;
  challenge: string;
  redirectUri: string;
  used: boolean;
}

/** One request the fake's token endpoint received. */
export interface TokenRequest {
  provider: Provider;
  params: Record<string, string>;
  outcome: 'issued' | 'refused';
  refusal?: string;
}

export const CLIENT = {
  github: { id: 'github-client-id', secret: `gh-secret-${randomBytes(8).toString('hex')}` },
  google: { id: 'google-client-id', secret: `google-secret-${randomBytes(8).toString('hex')}` },
} as const;

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/**
 * A real OAuth 2 authorization server on 127.0.0.1:0 standing in for GitHub and Google:
 * the authorize endpoint "signs in" the next account and redirects back with code + state;
 * the token endpoint checks client credentials, the redirect URI and the PKCE verifier
 * against the S256 challenge, and refuses the way each real provider does (GitHub: 200 with
 * an `error` field; Google: 400 `invalid_grant`).
 */
export class FakeOAuthServer {
  github: FakeGitHubAccount = { id: 4242, login: 'asha-gh', name: 'Asha GitHub', avatar_url: 'https://avatars.example.com/u/4242', emails: [{ email: 'Asha@Example.com', primary: true, verified: true }] };
  google: FakeGoogleAccount = { sub: '109876543210', email: 'ravi@example.org', email_verified: true, name: 'Ravi Google', picture: 'https://lh3.example.com/ravi.png' };
  /** The next authorize request answers error=access_denied. */
  denyNext = false;
  /** Every token issued to the service (the canary values the logs must never show). */
  readonly issuedAccessTokens: string[] = [];
  readonly issuedCodes: string[] = [];
  readonly tokenRequests: TokenRequest[] = [];
  private readonly codes = new Map<string, IssuedCode>();
  private readonly tokens = new Map<string, Provider>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeOAuthServer> {
    const holder: { fake?: FakeOAuthServer } = {};
    const server = createServer((req, res) => {
      holder.fake?.handle(req, res).catch((err: Error) => json(res, 500, { error: 'fake_failed', message: err.message }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    holder.fake = new FakeOAuthServer(server, `http://127.0.0.1:${address.port}`);
    return holder.fake;
  }

  /** The provider variables that point the auth service here. */
  env(): Record<string, string> {
    return {
      GITHUB_CLIENT_ID: CLIENT.github.id,
      GITHUB_CLIENT_SECRET: CLIENT.github.secret,
      GITHUB_AUTHORIZE_URL: `${this.url}/github/authorize`,
      GITHUB_TOKEN_URL: `${this.url}/github/token`,
      GITHUB_API_URL: `${this.url}/github/api`,
      GOOGLE_CLIENT_ID: CLIENT.google.id,
      GOOGLE_CLIENT_SECRET: CLIENT.google.secret,
      GOOGLE_AUTHORIZE_URL: `${this.url}/google/authorize`,
      GOOGLE_TOKEN_URL: `${this.url}/google/token`,
      GOOGLE_USERINFO_URL: `${this.url}/google/userinfo`,
    };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const [, provider, ...rest] = url.pathname.split('/');
    const path = rest.join('/');
    if (provider !== 'github' && provider !== 'google') return json(res, 404, { error: 'not_found' });
    if (path === 'authorize' && req.method === 'GET') return this.authorize(provider, url, res);
    if (path === 'token' && req.method === 'POST') return this.token(provider, new URLSearchParams(await readBody(req)), req, res);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || this.tokens.get(bearer) !== provider) return json(res, 401, { message: 'Bad credentials' });
    if (provider === 'github' && path === 'api/user') {
      if (req.headers['user-agent'] === undefined) return json(res, 403, { message: 'User-Agent required' });
      const { id, login, name, avatar_url } = this.github;
      return json(res, 200, { id, login, name, avatar_url, email: null });
    }
    if (provider === 'github' && path === 'api/user/emails') return json(res, 200, this.github.emails.map((e) => ({ ...e, visibility: e.primary ? 'private' : null })));
    if (provider === 'google' && path === 'userinfo') return json(res, 200, this.google);
    return json(res, 404, { error: 'not_found' });
  }

  private authorize(provider: Provider, url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    const redirectUri = q.get('redirect_uri') ?? '';
    const state = q.get('state') ?? '';
    if (q.get('client_id') !== CLIENT[provider].id) return json(res, 400, { error: 'unknown client_id' });
    if (q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) return json(res, 400, { error: 'PKCE S256 required' });
    if (provider === 'google' && q.get('response_type') !== 'code') return json(res, 400, { error: 'response_type must be code' });
    const back = new URL(redirectUri);
    if (this.denyNext) {
      this.denyNext = false;
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'The user has denied your application access.');
    } else {
      const code = randomBytes(16).toString('hex');
      this.codes.set(code, { provider, challenge: q.get('code_challenge') as string, redirectUri, used: false });
      this.issuedCodes.push(code);
      back.searchParams.set('code', code);
    }
    back.searchParams.set('state', state);
    res.writeHead(302, { location: back.toString() }).end();
  }

  private token(provider: Provider, form: URLSearchParams, req: IncomingMessage, res: ServerResponse): void {
    const params = Object.fromEntries(form);
    const refuse = (refusal: string) => {
      this.tokenRequests.push({ provider, params, outcome: 'refused', refusal });
      // GitHub answers refusals with 200 and an error field; Google with 400.
      return json(res, provider === 'github' ? 200 : 400, { error: refusal, error_description: `refused: ${refusal}` });
    };
    if (provider === 'github' && !String(req.headers.accept).includes('application/json')) return refuse('accept_json_required');
    if (params.client_id !== CLIENT[provider].id || params.client_secret !== CLIENT[provider].secret) return refuse(provider === 'github' ? 'incorrect_client_credentials' : 'invalid_client');
    const issued = params.code ? this.codes.get(params.code) : undefined;
    if (!issued || issued.used || issued.provider !== provider) return refuse(provider === 'github' ? 'bad_verification_code' : 'invalid_grant');
    issued.used = true;
    if (params.redirect_uri !== issued.redirectUri) return refuse('redirect_uri_mismatch');
    if (!params.code_verifier || s256(params.code_verifier) !== issued.challenge) return refuse(provider === 'github' ? 'bad_verification_code' : 'invalid_grant');
    const accessToken = `${provider}-at-${randomBytes(16).toString('hex')}`;
    this.tokens.set(accessToken, provider);
    this.issuedAccessTokens.push(accessToken);
    this.tokenRequests.push({ provider, params, outcome: 'issued' });
    return json(res, 200, { access_token: accessToken, token_type: 'bearer', scope: provider === 'github' ? 'read:user,user:email' : 'openid email profile' });
  }
}
