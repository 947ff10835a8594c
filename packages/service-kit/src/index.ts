/**
 * @samosachaat/service-kit — what every samosaChaat service is built from besides its
 * telemetry (@samosachaat/observability): configuration from the environment, the error
 * registry and envelope, readiness and dependencies, the graceful close and shutdown on
 * signals, the internal-key check, network-error helpers, the HTTP server's limits and the
 * doctor framework. Each Fastify concern is its own plugin; `servicePlugin` registers them all.
 */

// Configuration
export { ConfigError, envBaseUrl, envBoolean, envInteger, envInternalApiKey, envText, envTrustProxy, INTERNAL_API_KEY_MIN_LENGTH, observabilityConfigFromEnv } from './config.js';
export type { TrustProxy } from './config.js';
export { connectionsCheckingIntervalMs, SERVER_TIMEOUT_DEFAULTS, serverTimeoutOptions, serverTimeoutsFromEnv } from './fastify/server-timeouts.js';
export type { ServerTimeouts } from './fastify/server-timeouts.js';

// Fastify: the plugins, one per concern
export { servicePlugin } from './fastify/service-plugin.js';
export type { ServicePluginOptions } from './fastify/service-plugin.js';
export { errorsPlugin } from './fastify/errors-plugin.js';
export { readinessPlugin } from './fastify/readiness-plugin.js';
export type { ReadinessPluginOptions } from './fastify/readiness-plugin.js';
export { gracefulClosePlugin } from './fastify/graceful-close.js';
export { jsonBodyPlugin } from './fastify/json-body.js';
export { opsRoutesPlugin } from './fastify/ops-routes.js';
export type { OpsRoutesOptions } from './fastify/ops-routes.js';

// Errors
export { AppError, defineErrors, describeError, errorEnvelope, setRetryAfter } from './fastify/errors.js';
export type { ErrorDefinition, ErrorEnvelope, ErrorFactories, ErrorFactory, ErrorOptions, ErrorRegistryOptions } from './fastify/errors.js';
export { createClientErrorHandler, describeClientError, httpServerOptions } from './fastify/client-errors.js';

// Readiness, shutdown
export { ReadinessRegistry } from './fastify/readiness.js';
export { DependencyWatch } from './fastify/dependencies.js';
export type { DependencyState } from './fastify/dependencies.js';
export type { ReadinessCheck, ReadinessResult } from './fastify/readiness.js';
export { stopOnSignals } from './fastify/stop-on-signals.js';
export type { StopOnSignalsOptions } from './fastify/stop-on-signals.js';

// Between services
export { keyMatcher, keysMatch } from './fastify/internal-key.js';
export { describeNetworkError, networkFailure } from './net/network-errors.js';
export type { NetworkFailure } from './net/network-errors.js';

// Doctor
export * from './doctor/index.js';
