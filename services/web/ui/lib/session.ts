/**
 * The signed-in state of this tab. The access token lives in memory and in sessionStorage (so
 * a reload keeps it, a new tab does not); the long-lived refresh token is an httpOnly cookie
 * only auth can read. Refresh calls are serialised: auth treats a refresh token presented twice
 * as stolen and signs everyone out of that session.
 */
import type { TokenSource } from './api.js';
import { newTraceId } from './trace.js';

const KEY = 'samosachaat.session';
// Set while this browser holds a refresh cookie (httpOnly, so invisible to scripts): a first
// visit then skips a refresh call that could only fail.
const HINT = 'samosachaat.signed-in';

/** The signed-in person, as auth describes them. */
export interface User {
  id: string;
  email: string;
  name?: string | null;
  is_admin?: boolean;
}

interface Stored {
  token: string;
  expiresAt: number;
  user: User;
}

interface TokenAnswer {
  access_token: string;
  expires_in: number;
  user: User;
}

/** Tokens and the current user of this tab. */
export class Session implements TokenSource {
  private state: Stored | null = null;
  private refreshing: Promise<boolean> | null = null;

  constructor() {
    try {
      const raw = sessionStorage.getItem(KEY);
      if (raw) this.state = JSON.parse(raw) as Stored;
    } catch {
      this.state = null;
    }
  }

  /** The access token, or null when signed out or expired. */
  token(): string | null {
    if (!this.state || this.state.expiresAt <= Date.now()) return null;
    return this.state.token;
  }

  user(): User | null {
    return this.state?.user ?? null;
  }

  /** True when this browser signed in before and may still hold a refresh cookie. */
  mayRefresh(): boolean {
    return localStorage.getItem(HINT) === '1';
  }

  /** Exchanges the refresh cookie for a new access token (one call at a time). */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  /** Signs in with the development login (local mode only). Throws with auth's message. */
  async devLogin(email: string, name: string | undefined, traceId: string): Promise<User> {
    const res = await fetch('/auth/dev-login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-trace-id': traceId },
      body: JSON.stringify(name ? { email, name } : { email }),
      credentials: 'same-origin',
    });
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
      throw new Error(body.error?.message ?? `Sign-in failed (HTTP ${res.status}).`);
    }
    return this.store((await res.json()) as TokenAnswer);
  }

  /** Ends the session at auth (revokes the refresh token family) and forgets the token. */
  async signOut(): Promise<void> {
    await fetch('/auth/logout', { method: 'POST', headers: { 'x-trace-id': newTraceId() }, credentials: 'same-origin' }).catch(() => undefined);
    this.clear();
  }

  /** Forgets the token (and the hint that a refresh cookie exists). */
  clear(): void {
    this.state = null;
    sessionStorage.removeItem(KEY);
    localStorage.removeItem(HINT);
  }

  private async doRefresh(): Promise<boolean> {
    try {
      const res = await fetch('/auth/refresh', { method: 'POST', headers: { 'x-trace-id': newTraceId() }, credentials: 'same-origin' });
      if (!res.ok) {
        this.clear();
        return false;
      }
      this.store((await res.json()) as TokenAnswer);
      return true;
    } catch {
      return false;
    }
  }

  private store(answer: TokenAnswer): User {
    // Renew a little early so a request never leaves with a token about to expire.
    this.state = { token: answer.access_token, expiresAt: Date.now() + Math.max(0, answer.expires_in - 30) * 1000, user: answer.user };
    sessionStorage.setItem(KEY, JSON.stringify(this.state));
    localStorage.setItem(HINT, '1');
    return answer.user;
  }
}
