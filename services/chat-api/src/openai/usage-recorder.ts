import type { Database } from '@samosachaat/db';
import type { Logger } from '@samosachaat/observability';

interface Pending {
  userId: string;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  lastUsedAt: Date;
}

/** One key's usage as its owner sees it. */
export interface KeyUsage {
  key_id: string;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  last_used_at: string;
}

// Keys with unflushed usage: beyond this many, a flush starts at once rather than on the timer.
const FLUSH_AT_KEYS = 500;

/**
 * Per-key usage of the OpenAI-compatible API (requests, prompt and completion tokens, last
 * use), added up in memory and written in batches: one statement per flush for every key
 * used since the last one (API_USAGE_FLUSH_MS), never a write per request. A failed flush
 * keeps its counts for the next one. What is not flushed yet is added to what an owner reads,
 * so this instance's own answers show at once.
 */
export class UsageRecorder {
  private pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly db: Database,
    private readonly flushIntervalMs: number,
    private readonly log: Logger,
  ) {}

  /** Counts one request of `keyId`. */
  add(keyId: string, userId: string, promptTokens: number, completionTokens: number): void {
    const entry = this.pending.get(keyId) ?? { userId, requests: 0, promptTokens: 0, completionTokens: 0, lastUsedAt: new Date(0) };
    entry.requests += 1;
    entry.promptTokens += promptTokens;
    entry.completionTokens += completionTokens;
    entry.lastUsedAt = new Date();
    this.pending.set(keyId, entry);
    if (this.pending.size >= FLUSH_AT_KEYS) void this.flush();
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.flushIntervalMs).unref();
  }

  /** Stops the timer and writes what is left. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Writes every pending count in one statement; resolves when written (or kept for the next try). */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const ids = [...batch.keys()];
    const rows = [...batch.values()];
    try {
      // A key deleted meanwhile (its user deleted) is skipped rather than failing the batch.
      await this.db.query(
        `INSERT INTO api_key_usage (key_id, user_id, requests, prompt_tokens, completion_tokens, last_used_at)
         SELECT i.key_id, i.user_id, i.requests, i.prompt_tokens, i.completion_tokens, i.last_used_at
         FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::bigint[], $5::bigint[], $6::timestamptz[])
           AS i(key_id, user_id, requests, prompt_tokens, completion_tokens, last_used_at)
         WHERE EXISTS (SELECT 1 FROM api_keys k WHERE k.id = i.key_id)
         ON CONFLICT (key_id) DO UPDATE SET
           requests = api_key_usage.requests + EXCLUDED.requests,
           prompt_tokens = api_key_usage.prompt_tokens + EXCLUDED.prompt_tokens,
           completion_tokens = api_key_usage.completion_tokens + EXCLUDED.completion_tokens,
           last_used_at = GREATEST(api_key_usage.last_used_at, EXCLUDED.last_used_at)`,
        [ids, rows.map((r) => r.userId), rows.map((r) => r.requests), rows.map((r) => r.promptTokens), rows.map((r) => r.completionTokens), rows.map((r) => r.lastUsedAt.toISOString())],
        { operation: 'api_key_usage.flush' },
      );
    } catch (err) {
      for (const [id, row] of batch) this.merge(id, row);
      this.log.warning({ error: (err as Error).message, key_count: batch.size }, 'api_usage_flush_failed');
    }
  }

  private merge(id: string, row: Pending): void {
    const now = this.pending.get(id);
    if (!now) {
      this.pending.set(id, row);
      return;
    }
    now.requests += row.requests;
    now.promptTokens += row.promptTokens;
    now.completionTokens += row.completionTokens;
    if (row.lastUsedAt > now.lastUsedAt) now.lastUsedAt = row.lastUsedAt;
  }

  /** The usage of `userId`'s keys: stored, plus this instance's unflushed counts. Only the owner's keys. */
  async forUser(userId: string): Promise<KeyUsage[]> {
    const { rows } = await this.db.query<{ key_id: string; requests: string; prompt_tokens: string; completion_tokens: string; last_used_at: Date | string }>(
      'SELECT key_id, requests::text, prompt_tokens::text, completion_tokens::text, last_used_at FROM api_key_usage WHERE user_id = $1',
      [userId],
      { operation: 'api_key_usage.list' },
    );
    const out = new Map<string, KeyUsage>();
    for (const r of rows) {
      out.set(r.key_id, { key_id: r.key_id, requests: Number(r.requests), prompt_tokens: Number(r.prompt_tokens), completion_tokens: Number(r.completion_tokens), last_used_at: new Date(r.last_used_at).toISOString() });
    }
    for (const [id, p] of this.pending) {
      if (p.userId !== userId) continue;
      const known = out.get(id) ?? { key_id: id, requests: 0, prompt_tokens: 0, completion_tokens: 0, last_used_at: p.lastUsedAt.toISOString() };
      known.requests += p.requests;
      known.prompt_tokens += p.promptTokens;
      known.completion_tokens += p.completionTokens;
      if (p.lastUsedAt.toISOString() > known.last_used_at) known.last_used_at = p.lastUsedAt.toISOString();
      out.set(id, known);
    }
    return [...out.values()];
  }
}
