import { createHash } from 'node:crypto';
import type { Observability } from '@samosachaat/observability';
import type { FastifyRequest } from 'fastify';
import { WEB_ERRORS } from '../errors.js';
import { describeNetworkError, failureReason } from '../proxy/upstream-errors.js';

/** What the console's access rule needs. */
export interface OpsAccessOptions {
  localMode: boolean;
  authUrl: string;
  obs: Observability;
  /** How long auth's verdict on a token is trusted. Default 30 s. */
  cacheTtlMs?: number;
  /** Most tokens remembered. Default 256. */
  cacheSize?: number;
  timeoutMs?: number;
  now?: () => number;
}

interface Verdict {
  admin: boolean;
  until: number;
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/;

/**
 * The console's access rule as an onRequest hook: open in local mode; otherwise the caller's
 * bearer token must belong to an administrator, as auth's `GET /auth/me` says. Verdicts are
 * cached briefly by token hash (never by the token itself), so a console refreshing every few
 * seconds costs auth one call per half minute.
 */
export function createOpsAccess(options: OpsAccessOptions): (request: FastifyRequest) => Promise<void> {
  const ttl = options.cacheTtlMs ?? 30_000;
  const size = options.cacheSize ?? 256;
  const now = options.now ?? Date.now;
  const cache = new Map<string, Verdict>();
  const failures = options.obs.rateLimited('ops-access');

  async function ask(token: string): Promise<boolean | undefined> {
    let res: Response;
    try {
      res = await options.obs.fetch(
        `${options.authUrl}/auth/me`,
        { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(options.timeoutMs ?? 2000) },
        { peerService: 'auth', spanName: 'GET /auth/me' },
      );
    } catch (err) {
      failures.error('ops_auth_failed', { upstream: 'auth', reason: failureReason(err), error: describeNetworkError(err) });
      throw WEB_ERRORS.WEB_AUTH_UNAVAILABLE({ retryAfterSeconds: 5 });
    }
    if (res.status === 401) {
      await res.body?.cancel();
      return undefined;
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      failures.error('ops_auth_failed', { upstream: 'auth', reason: `status_${res.status}`, status_code: res.status });
      throw WEB_ERRORS.WEB_AUTH_UNAVAILABLE({ retryAfterSeconds: 5 });
    }
    const user = (await res.json().catch(() => ({}))) as { is_admin?: unknown };
    return user.is_admin === true;
  }

  return async (request) => {
    if (options.localMode) return;
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? BEARER.exec(header) : null;
    if (!match) throw WEB_ERRORS.WEB_OPS_UNAUTHENTICATED();
    const token = match[1] as string;
    const key = createHash('sha256').update(token).digest('base64url');
    let verdict = cache.get(key);
    if (!verdict || verdict.until <= now()) {
      const admin = await ask(token);
      if (admin === undefined) {
        cache.delete(key);
        throw WEB_ERRORS.WEB_OPS_INVALID_TOKEN();
      }
      verdict = { admin, until: now() + ttl };
      cache.delete(key);
      cache.set(key, verdict);
      // Oldest first out: a Map iterates in insertion order.
      while (cache.size > size) cache.delete(cache.keys().next().value as string);
    }
    if (!verdict.admin) throw WEB_ERRORS.WEB_OPS_FORBIDDEN();
  };
}
