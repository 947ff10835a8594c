/**
 * @samosachaat/chat-api — conversations, messages and streamed answers (SPEC §5), scoped per
 * user behind auth. Run it with `src/main.ts`; embed or test it with `buildApp`.
 */
export { buildApp } from './app.js';
export type { ChatDeps } from './app.js';
export { CHAT_DEFAULTS, configFromEnv } from './config.js';
export type { ChatConfig, ChatDatabaseConfig } from './config.js';
export { CHAT_ERRORS } from './errors.js';
export type { ChatErrorCode } from './errors.js';
export { createChatMetrics } from './metrics.js';
export type { ChatMetrics, MessageStatus, StreamOutcome, Upstream, UpstreamFailure } from './metrics.js';
export { AuthCache, tokenKey } from './auth/auth-cache.js';
export type { AuthUser } from './auth/auth-cache.js';
export type { Conversation, Message } from './conversations/conversation-store.js';
export type { ChatTurn } from './messages/history.js';
