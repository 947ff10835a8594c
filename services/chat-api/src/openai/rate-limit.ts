import { DatabaseUnavailableError, isDatabaseUnavailable, type Database } from '@samosachaat/db';
import type { Observability } from '@samosachaat/observability';
import type { FastifyReply } from 'fastify';
import { GroupCommit } from '../messages/group-commit.js';
import { OpenAiError } from './openai-errors.js';

// `/v1`'s request rate per user, shared by every chat-api replica on one database (migration
// 0010_shared_limits, services/chat-api/README.md "Limits shared by replicas").

interface Counted {
  /** The request's number in its window, or null when the window is full (refused). */
  requests: number | null;
  /** Seconds until the window ends (1–60). */
  resetSeconds: number;
}

// One fixed window per user and minute of the database's clock (so replicas' clocks do not
// matter). The upsert counts a request only while the window has room ($2): the row's lock
// orders concurrent requests of one user on every replica, so the limit holds exactly. One
// statement per batch of users (group commit).
const COUNT_SQL = `WITH counted AS (
    INSERT INTO api_request_counts (user_id, window_start, requests)
    SELECT u, date_trunc('minute', now()), 1 FROM unnest($1::uuid[]) AS u
    ON CONFLICT (user_id, window_start) DO UPDATE SET requests = api_request_counts.requests + 1
     WHERE api_request_counts.requests < $2
    RETURNING user_id::text AS user_id, requests
  )
  SELECT u::text AS user_id, counted.requests,
         ceil(extract(epoch FROM date_trunc('minute', now()) + interval '1 minute' - now()))::int AS reset_seconds
    FROM unnest($1::uuid[]) AS u LEFT JOIN counted ON counted.user_id = u::text`;

// Windows long past: nothing reads them any more.
const FORGET_SQL = `DELETE FROM api_request_counts WHERE window_start < now() - interval '5 minutes'`;

/** How {@link ApiRateLimit} runs. */
export interface ApiRateLimitOptions {
  db: Database;
  obs: Observability;
  /** Requests per user and minute (API_RATE_LIMIT_PER_MINUTE); 0 turns the limit off. */
  perMinute: number;
}

/**
 * `/v1` requests per user and minute, over every replica: one grouped upsert per request
 * (`api_request_counts`). A request over the limit is a 429 `rate_limit_exceeded` with
 * Retry-After (the seconds until the window ends); every answer carries OpenAI's
 * `x-ratelimit-limit-requests`, `x-ratelimit-remaining-requests` and
 * `x-ratelimit-reset-requests`. With the database unreachable requests are let through
 * (logged, rate-limited): the limit guards inference, not the database.
 */
export class ApiRateLimit {
  private readonly counts: GroupCommit<string, Counted>;
  private forgetter: NodeJS.Timeout | undefined;

  constructor(private readonly options: ApiRateLimitOptions) {
    this.counts = new GroupCommit<string, Counted>({
      key: (userId) => userId,
      maxBatch: 100,
      maxInFlight: 2,
      splitOnFailure: (err) => !(err instanceof DatabaseUnavailableError || isDatabaseUnavailable(err)),
      run: async (users) => {
        const { rows } = await options.db.query<{ user_id: string; requests: number | null; reset_seconds: number }>(COUNT_SQL, [users, options.perMinute], { operation: 'api_requests.count' });
        const byUser = new Map(rows.map((r) => [r.user_id, r]));
        return users.map((u) => {
          const row = byUser.get(u.toLowerCase());
          return { requests: row?.requests ?? null, resetSeconds: Math.min(60, Math.max(1, row?.reset_seconds ?? 60)) };
        });
      },
    });
  }

  get enabled(): boolean {
    return this.options.perMinute > 0;
  }

  /** Forgets past windows every minute (the timer does not hold the process). */
  start(): void {
    if (!this.enabled) return;
    this.forgetter = setInterval(
      () =>
        void this.options.db
          .query(FORGET_SQL, [], { operation: 'api_requests.forget' })
          .catch((err: unknown) => this.options.obs.rateLimited('api-rate-forget').warning('api_rate_forget_failed', { err })),
      60_000,
    );
    this.forgetter.unref();
  }

  stop(): void {
    clearInterval(this.forgetter);
  }

  /** Counts a request of `userId`; sets the rate headers on `reply`; throws the 429 over the limit. */
  async admit(userId: string, reply: FastifyReply): Promise<void> {
    if (!this.enabled) return;
    const limit = this.options.perMinute;
    let counted: Counted;
    try {
      counted = await this.counts.submit(userId);
    } catch (err) {
      this.options.obs.rateLimited('api-rate-count').warning('api_rate_limit_unavailable', { err, user_id: userId });
      return;
    }
    reply.header('x-ratelimit-limit-requests', String(limit));
    reply.header('x-ratelimit-remaining-requests', String(counted.requests === null ? 0 : Math.max(0, limit - counted.requests)));
    reply.header('x-ratelimit-reset-requests', `${counted.resetSeconds}s`);
    if (counted.requests === null) {
      throw new OpenAiError(429, 'rate_limit_exceeded', `rate limit reached: ${limit} requests per minute for this user (API_RATE_LIMIT_PER_MINUTE); retry in ${counted.resetSeconds} s`, null, {
        retryAfterSeconds: counted.resetSeconds,
      });
    }
  }
}
