import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * The parts of `oidc-provider` (9.x, plain JavaScript without typings) this support uses.
 * The module is loaded through a non-literal specifier so TypeScript does not look for
 * declarations that do not exist.
 */
interface OidcGrant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(resource: string, scope: string): void;
  save(): Promise<string>;
}
interface InteractionDetails {
  uid: string;
  prompt: { name: string; reasons: string[]; details: { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> } };
  params: Record<string, unknown>;
  session?: { accountId?: string };
  grantId?: string;
}
interface OidcError extends Error {
  error?: string;
  error_description?: string;
  cause?: unknown;
}
interface OidcProviderInstance {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
  interactionFinished(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
  on(event: string, listener: (...args: unknown[]) => void): void;
  Grant: {
    new (init: { accountId: string; clientId: string }): OidcGrant;
    find(id: string): Promise<OidcGrant | undefined>;
  };
}
interface PromptInstance {
  checks: { clear(): void };
}
interface OidcProviderModule {
  default: new (issuer: string, configuration: Record<string, unknown>) => OidcProviderInstance;
  interactionPolicy: {
    base(): PromptInstance[] & { add(prompt: PromptInstance, index?: number): void };
    Prompt: new (options: { name: string; requestable: boolean }) => PromptInstance;
  };
}

const MODULE = 'oidc-provider';
const { default: Provider, interactionPolicy } = (await import(MODULE)) as OidcProviderModule;

/** The person who signs in at the local provider (what `findAccount` returns). */
export interface OidcTestAccount {
  sub: string;
  email: string;
  email_verified: boolean;
  name: string;
  picture: string;
}

/** The endpoints of `/.well-known/openid-configuration` the auth service is configured with. */
export interface OidcDiscovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  userinfo_endpoint: string;
  code_challenge_methods_supported?: string[];
  prompt_values_supported?: string[];
}

/** One answer of the provider's token endpoint, from its `grant.success` / `grant.error` events. */
export interface OidcGrantEvent {
  outcome: 'issued' | 'refused';
  error?: string;
  description?: string;
  /** The underlying reason oidc-provider attaches (e.g. "code_verifier does not match code_challenge"). */
  cause?: string;
}

export interface LocalOidcOptions {
  /** The one redirect URI the client may use (`${AUTH_PUBLIC_URL}/auth/callback/google`). */
  redirectUri: string;
  account: OidcTestAccount;
  /**
   * Google understands `prompt=select_account`; a stock oidc-provider policy does not and refuses
   * the authorization request. True registers a requestable `select_account` prompt that the
   * headless interaction resolves, as Google's account chooser would.
   */
  supportSelectAccount?: boolean;
}

/**
 * A real OpenID Connect provider (`oidc-provider`) on 127.0.0.1:<ephemeral>: one confidential
 * client (id and secret generated here, `client_secret_post`, authorization_code only, PKCE S256
 * required), signing keys generated at start, and an interaction route that signs the test
 * account in and grants the requested scopes without any page — what a person clicking through
 * the login and consent screens would do.
 */
export class LocalOidcProvider {
  readonly grants: OidcGrantEvent[] = [];
  /** Interaction prompts resolved headlessly, in order (`select_account`, `login`, `consent`). */
  readonly interactions: string[] = [];
  /** Errors the provider itself hit (must stay empty). */
  readonly serverErrors: Error[] = [];
  readonly account: OidcTestAccount;

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
    readonly provider: OidcProviderInstance,
    /** The client the auth service is, generated for this provider. */
    readonly client: { id: string; secret: string },
    account: OidcTestAccount,
  ) {
    this.account = account;
  }

  static async start(options: LocalOidcOptions): Promise<LocalOidcProvider> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (!address || typeof address !== 'object') throw new Error('the OIDC provider has no address');
    const issuer = `http://127.0.0.1:${address.port}`;

    const policy = interactionPolicy.base();
    if (options.supportSelectAccount) {
      const selectAccount = new interactionPolicy.Prompt({ name: 'select_account', requestable: true });
      policy.add(selectAccount, 0);
    }

    const client = { id: `samosachaat-${randomBytes(6).toString('hex')}`, secret: randomBytes(32).toString('base64url') };
    const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: client.id,
          client_secret: client.secret,
          redirect_uris: [options.redirectUri],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_post',
        },
      ],
      async findAccount(_ctx: unknown, id: string) {
        const { account } = options;
        if (id !== account.sub) return undefined;
        return { accountId: id, claims: async () => ({ ...account }) };
      },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'picture'] },
      scopes: ['openid', 'email', 'profile'],
      pkce: { required: () => true },
      features: { devInteractions: { enabled: false } },
      interactions: { policy, url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
      cookies: { keys: [randomBytes(32).toString('base64url')] },
      jwks: { keys: [{ ...signingKey, use: 'sig', alg: 'RS256', kid: randomBytes(8).toString('hex') }] },
      ttl: { AccessToken: 300, AuthorizationCode: 60, Grant: 600, Interaction: 600, Session: 600, IdToken: 300 },
    });
    return new LocalOidcProvider(server, issuer, provider, client, options.account).wire();
  }

  private wire(): LocalOidcProvider {
    const handler = this.provider.callback();
    this.provider.on('grant.success', () => this.grants.push({ outcome: 'issued' }));
    this.provider.on('grant.error', (_ctx, err) => {
      const e = err as OidcError;
      this.grants.push({ outcome: 'refused', error: e.error, description: e.error_description, cause: e.cause instanceof Error ? e.cause.message : undefined });
    });
    this.provider.on('server_error', (_ctx, err) => this.serverErrors.push(err as Error));
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (req.url?.startsWith('/interaction/')) {
        this.interact(req, res).catch((err: Error) => {
          this.serverErrors.push(err);
          res.writeHead(500, { 'content-type': 'text/plain' }).end(err.message);
        });
        return;
      }
      handler(req, res);
    });
    return this;
  }

  /** Resolves whatever the provider asks for: choose the account, sign in, consent to the scopes. */
  private async interact(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const details = await this.provider.interactionDetails(req, res);
    const { name } = details.prompt;
    this.interactions.push(name);
    if (name === 'select_account') {
      await this.provider.interactionFinished(req, res, { select_account: {} }, { mergeWithLastSubmission: true });
      return;
    }
    if (name === 'login') {
      await this.provider.interactionFinished(req, res, { login: { accountId: this.account.sub } }, { mergeWithLastSubmission: true });
      return;
    }
    if (name === 'consent') {
      const accountId = details.session?.accountId;
      if (!accountId) throw new Error('consent without a signed-in account');
      const grant = (details.grantId ? await this.provider.Grant.find(details.grantId) : undefined) ?? new this.provider.Grant({ accountId, clientId: String(details.params.client_id) });
      const missing = details.prompt.details;
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
      const grantId = await grant.save();
      await this.provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return;
    }
    throw new Error(`unexpected interaction prompt ${name}`);
  }

  /** The provider's own discovery document. */
  async discover(): Promise<OidcDiscovery> {
    const res = await fetch(`${this.issuer}/.well-known/openid-configuration`);
    if (res.status !== 200) throw new Error(`discovery answered HTTP ${res.status}`);
    return (await res.json()) as OidcDiscovery;
  }

  /** The auth service's Google settings, pointed at this provider's discovered endpoints. */
  async env(): Promise<Record<string, string>> {
    const d = await this.discover();
    return {
      GOOGLE_CLIENT_ID: this.client.id,
      GOOGLE_CLIENT_SECRET: this.client.secret,
      GOOGLE_AUTHORIZE_URL: d.authorization_endpoint,
      GOOGLE_TOKEN_URL: d.token_endpoint,
      GOOGLE_USERINFO_URL: d.userinfo_endpoint,
    };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
