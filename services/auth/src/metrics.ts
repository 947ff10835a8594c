import type { Metrics } from '@samosachaat/observability';

/** Login outcomes: `denied` is the person cancelling at the provider, not an error of ours. */
export type LoginOutcome = 'success' | 'failure' | 'denied';
/** Validation outcomes of `POST /auth/validate` (access tokens and API keys) and the bearer guard. */
export type ValidationOutcome = 'valid' | 'invalid' | 'expired';
/** Refresh outcomes; `reused` is theft detection revoking a family. */
export type RefreshOutcome = 'success' | 'invalid' | 'expired' | 'reused';
/** The rate-limited endpoints. */
export type LimitedEndpoint = 'login' | 'callback' | 'dev_login';

/** Label values every series starts with, so rates and alerts see zeros instead of gaps. */
export const LOGIN_PROVIDERS = ['github', 'google', 'dev'] as const;
const LOGIN_OUTCOMES: LoginOutcome[] = ['success', 'failure', 'denied'];
const VALIDATION_OUTCOMES: ValidationOutcome[] = ['valid', 'invalid', 'expired'];
const REFRESH_OUTCOMES: RefreshOutcome[] = ['success', 'invalid', 'expired', 'reused'];
const LIMITED_ENDPOINTS: LimitedEndpoint[] = ['login', 'callback', 'dev_login'];

/** The auth service's own metric families. */
export interface AuthMetrics {
  login(provider: (typeof LOGIN_PROVIDERS)[number], outcome: LoginOutcome): void;
  validation(outcome: ValidationOutcome): void;
  refresh(outcome: RefreshOutcome): void;
  rateLimited(endpoint: LimitedEndpoint): void;
}

/**
 * Registers `auth_logins_total`, `auth_token_validations_total`, `auth_refresh_total` and
 * `auth_rate_limited_total` on the service's registry. Labels are closed sets.
 */
export function createAuthMetrics(metrics: Metrics): AuthMetrics {
  const logins = metrics.counter({ name: 'auth_logins_total', help: 'Completed login attempts, by provider (github, google, dev) and outcome (success, failure, denied).', labelNames: ['provider', 'outcome'] });
  const validations = metrics.counter({ name: 'auth_token_validations_total', help: 'Access tokens and user API keys (sk-sc-…) checked (POST /auth/validate and bearer-authenticated routes), by outcome (valid, invalid, expired; an API key is valid or invalid).', labelNames: ['outcome'] });
  const refreshes = metrics.counter({ name: 'auth_refresh_total', help: 'Refresh-token presentations, by outcome (success, invalid, expired, reused = theft detection revoked the family).', labelNames: ['outcome'] });
  const limited = metrics.counter({ name: 'auth_rate_limited_total', help: 'Login attempts refused with 429 by the per-IP limiter, by endpoint (login, callback, dev_login).', labelNames: ['endpoint'] });
  for (const provider of LOGIN_PROVIDERS) for (const outcome of LOGIN_OUTCOMES) logins.inc({ provider, outcome }, 0);
  for (const outcome of VALIDATION_OUTCOMES) validations.inc({ outcome }, 0);
  for (const outcome of REFRESH_OUTCOMES) refreshes.inc({ outcome }, 0);
  for (const endpoint of LIMITED_ENDPOINTS) limited.inc({ endpoint }, 0);
  return {
    login: (provider, outcome) => logins.inc({ provider, outcome }),
    validation: (outcome) => validations.inc({ outcome }),
    refresh: (outcome) => refreshes.inc({ outcome }),
    rateLimited: (endpoint) => limited.inc({ endpoint }),
  };
}
