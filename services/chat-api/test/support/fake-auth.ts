import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A user the fake auth vouches for. */
export interface FakeUser {
  id: string;
  email: string;
  name: string;
  is_admin: boolean;
}

/** How the fake answers POST /auth/validate. */
export type FakeAuthMode = 'normal' | 'status_500' | 'hang';

/** One call the fake received. */
export interface AuthCall {
  token: string;
  keyOk: boolean;
  traceparent: string | undefined;
  xTraceId: string | undefined;
}

/**
 * A stand-in for auth's `POST /auth/validate` on 127.0.0.1:0: tokens are registered by the
 * test; every call is recorded; it can fail with 500 or hang.
 */
export class FakeAuth {
  readonly calls: AuthCall[] = [];
  mode: FakeAuthMode = 'normal';
  private readonly tokens = new Map<string, { user: FakeUser; expiresAt: number; apiKeyId?: string }>();
  private readonly server: Server;
  private readonly hanging = new Set<IncomingMessage>();
  url = '';

  constructor(private readonly internalApiKey: string) {
    this.server = createServer((req, res) => {
      if (req.url === '/health') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      if (req.method !== 'POST' || req.url !== '/auth/validate') return void res.writeHead(404).end();
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const token = String((JSON.parse(body || '{}') as { token?: unknown }).token ?? '');
        const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined);
        const keyOk = req.headers['x-internal-api-key'] === this.internalApiKey;
        this.calls.push({ token, keyOk, traceparent: header('traceparent'), xTraceId: header('x-trace-id') });
        if (this.mode === 'hang') {
          this.hanging.add(req);
          return;
        }
        if (this.mode === 'status_500') return void res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"code":"BOOM","message":"boom"}}');
        if (!keyOk) return void res.writeHead(403, { 'content-type': 'application/json' }).end('{"error":{"code":"AUTH_FORBIDDEN","message":"bad key"}}');
        const known = this.tokens.get(token);
        if (!known || known.expiresAt * 1000 <= Date.now()) {
          return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"valid":false,"error":{"code":"AUTH_INVALID_TOKEN","message":"invalid"}}');
        }
        // A user API key has no expiry of its own; its answer names the key (as auth's does).
        const answer = known.apiKeyId ? { valid: true, user: known.user, api_key_id: known.apiKeyId } : { valid: true, user: known.user, expires_at: known.expiresAt };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
  }

  /** Registers `token` for `user`, valid for `ttlSeconds`. */
  grant(token: string, user: FakeUser, ttlSeconds = 3600): void {
    this.tokens.set(token, { user, expiresAt: Math.floor(Date.now() / 1000) + ttlSeconds });
  }

  /** Registers `key` as `user`'s API key `keyId` (README "Use the API"). */
  grantApiKey(key: string, user: FakeUser, keyId: string): void {
    this.tokens.set(key, { user, expiresAt: Math.floor(Date.now() / 1000) + 86_400, apiKeyId: keyId });
  }

  /** Forgets a token or key (a revocation). */
  revoke(token: string): void {
    this.tokens.delete(token);
  }

  /** Calls made with `token`. */
  callsFor(token: string): AuthCall[] {
    return this.calls.filter((c) => c.token === token);
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const req of this.hanging) req.socket.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
