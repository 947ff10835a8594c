import type { onRequestAsyncHookHandler } from 'fastify';
import type { Observability } from '@samosachaat/observability';
import type { AuthConfig } from '../config.js';
import type { AuthDatabase } from '../database.js';
import type { JwtKeys } from '../keys.js';
import type { AuthMetrics, LimitedEndpoint } from '../metrics.js';

/** What every route module of the service is handed. */
export interface RouteContext {
  readonly config: AuthConfig;
  readonly db: AuthDatabase;
  readonly keys: JwtKeys;
  readonly obs: Observability;
  readonly metrics: AuthMetrics;
  /** An onRequest hook counting one login attempt of the client IP (429 beyond the limit). */
  loginLimit(endpoint: LimitedEndpoint): onRequestAsyncHookHandler;
}
