import { createHash } from 'node:crypto';

/** The user auth vouched for. */
export interface AuthUser {
  readonly id: string;
  readonly email: string;
  readonly name: string | null;
  readonly is_admin: boolean;
  /** Set when the bearer was a user API key (`sk-sc-…`), not an access token: the key's id. */
  readonly api_key_id?: string;
}

interface Entry {
  user: AuthUser;
  expiresAt: number;
}

/** The cache key of a token: its SHA-256, so no token is ever kept in memory as a key. */
export function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Validated tokens, in process: a bounded LRU (Map insertion order) whose entries live at
 * most `ttlMs` and never beyond the token's own expiry. Only valid answers are cached, so a
 * token auth rejected is asked about again next time.
 */
export class AuthCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The user behind `token`, or undefined when absent or expired. */
  get(token: string): AuthUser | undefined {
    const key = tokenKey(token);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    // Most recently used goes last; eviction takes from the front.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.user;
  }

  /** Remembers a valid token until min(now + TTL, `tokenExpiresAtMs`). */
  set(token: string, user: AuthUser, tokenExpiresAtMs: number | undefined): void {
    if (this.maxEntries === 0 || this.ttlMs === 0) return;
    const now = this.now();
    const expiresAt = Math.min(now + this.ttlMs, tokenExpiresAtMs ?? Number.POSITIVE_INFINITY);
    if (!(expiresAt > now)) return;
    const key = tokenKey(token);
    this.entries.delete(key);
    this.entries.set(key, { user, expiresAt });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  /** Forgets `token` (its user no longer exists, say); true when it was cached. */
  delete(token: string): boolean {
    return this.entries.delete(tokenKey(token));
  }

  get size(): number {
    return this.entries.size;
  }

  /** The keys held (token hashes), oldest first — for operators and tests. */
  keys(): string[] {
    return [...this.entries.keys()];
  }
}
