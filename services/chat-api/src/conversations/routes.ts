import type { Database } from '@samosachaat/db';
import { AppError } from '@samosachaat/service-kit';
import type { FastifyInstance } from 'fastify';
import { isForeignKeyViolation } from '@samosachaat/db';
import { authenticatedUser, userGoneError } from '../auth/auth-guard.js';
import { CHAT_ERRORS } from '../errors.js';
import { CHANGEABLE, createConversation, deleteConversation, findConversation, listConversations, listMessages, updateConversation, type ConversationChanges } from './conversation-store.js';
import { SETTINGS_SCHEMA, settingsOf, type ConversationSettings } from './settings.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { HistoryCache } from '../messages/history-cache.js';
import type { ModelCatalog } from '../models/model-catalog.js';
import { MAX_QUERY_CHARS, searchConversations, validateSearchQuery } from './search.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

// A title has to say something: at least one non-space character.
const title = { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S' } as const;
const modelTag = { anyOf: [{ type: 'string', minLength: 1, maxLength: 100 }, { type: 'null' }] } as const;

interface IdParams {
  id: string;
}

/**
 * GET/POST /api/conversations and GET/PUT/DELETE /api/conversations/:id, all scoped to the
 * caller. The history cache learns of new conversations and forgets changed or deleted ones.
 */
export function registerConversationRoutes(app: FastifyInstance, db: Database, historyCache: HistoryCache, models?: Pick<ModelCatalog, 'assertKnown'>): void {
  app.get<{ Querystring: { limit?: number; cursor?: string } }>(
    '/conversations',
    {
      config: { spanName: 'list conversations' },
      schema: {
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE }, cursor: { type: 'string', maxLength: 256 } },
        },
      },
    },
    async (request) => {
      const user = authenticatedUser(request);
      const after = request.query.cursor === undefined ? undefined : decodeCursor(request.query.cursor);
      const page = await listConversations(db, user.id, { limit: request.query.limit ?? DEFAULT_PAGE_SIZE, after });
      return { conversations: page.conversations, next_cursor: page.next ? encodeCursor(page.next) : null };
    },
  );

  // Search over the caller's titles and message text (./search.ts): every word of q, as word
  // prefixes; paginated like the list, in the list's order.
  app.get<{ Querystring: { q?: string; limit?: number; cursor?: string } }>(
    '/conversations/search',
    {
      config: { spanName: 'search conversations' },
      schema: {
        querystring: {
          type: 'object',
          properties: {
            q: { type: 'string', maxLength: MAX_QUERY_CHARS },
            limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE },
            cursor: { type: 'string', maxLength: 256 },
          },
        },
      },
    },
    async (request) => {
      const user = authenticatedUser(request);
      const q = validateSearchQuery(request.query.q);
      const after = request.query.cursor === undefined ? undefined : decodeCursor(request.query.cursor);
      const page = await searchConversations(db, user.id, q, { limit: request.query.limit ?? DEFAULT_PAGE_SIZE, after });
      return { query: q, results: page.hits, next_cursor: page.next ? encodeCursor(page.next) : null };
    },
  );

  app.post<{ Body: ({ title?: string; model_tag?: string | null } & Partial<ConversationSettings>) | null }>(
    '/conversations',
    { config: { spanName: 'create conversation' }, schema: { body: { type: ['object', 'null'], properties: { title, model_tag: modelTag, ...SETTINGS_SCHEMA } } } },
    async (request, reply) => {
      const user = authenticatedUser(request);
      const body = request.body ?? {};
      // A model the picker offers (GET /api/models); unchecked while inference cannot list them.
      if (typeof body.model_tag === 'string') await models?.assertKnown(body.model_tag);
      let conversation;
      try {
        conversation = await createConversation(db, user.id, { ...body, title: body.title?.trim() });
      } catch (err) {
        // The user was deleted after auth vouched for the token (chat-api caches that answer).
        if (isForeignKeyViolation(err)) throw userGoneError(request);
        throw err;
      }
      historyCache.set(conversation.id, { userId: user.id, modelTag: conversation.model_tag, settings: settingsOf(conversation), version: '0', recent: [] });
      return reply.code(201).send(conversation);
    },
  );

  app.get<{ Params: IdParams }>('/conversations/:id', { config: { spanName: 'open conversation' } }, async (request) => {
    const user = authenticatedUser(request);
    const conversation = await findConversation(db, user.id, request.params.id);
    if (!conversation) throw CHAT_ERRORS.CHAT_CONVERSATION_NOT_FOUND();
    return { ...conversation, messages: await listMessages(db, conversation.id) };
  });

  app.put<{ Params: IdParams; Body: ConversationChanges }>(
    '/conversations/:id',
    { config: { spanName: 'update conversation' }, schema: { body: { type: 'object', properties: { title, favorited: { type: 'boolean' }, model_tag: modelTag, ...SETTINGS_SCHEMA } } } },
    async (request) => {
      const user = authenticatedUser(request);
      const changes = request.body;
      if (typeof changes.model_tag === 'string') await models?.assertKnown(changes.model_tag);
      if (CHANGEABLE.every((column) => changes[column] === undefined)) {
        throw new AppError('VALIDATION_FAILED', `body must set at least one of ${CHANGEABLE.join(', ')}`, 400);
      }
      const updated = await updateConversation(db, user.id, request.params.id, { ...changes, title: changes.title?.trim() });
      if (!updated) throw CHAT_ERRORS.CHAT_CONVERSATION_NOT_FOUND();
      // Only the owner's change counts; the model and the settings are part of what a send guesses.
      if (changes.model_tag !== undefined || changes.system_prompt !== undefined || changes.temperature !== undefined || changes.max_tokens !== undefined) {
        historyCache.delete(updated.id);
      }
      return updated;
    },
  );

  app.delete<{ Params: IdParams }>('/conversations/:id', { config: { spanName: 'delete conversation' } }, async (request, reply) => {
    const user = authenticatedUser(request);
    if (!(await deleteConversation(db, user.id, request.params.id))) throw CHAT_ERRORS.CHAT_CONVERSATION_NOT_FOUND();
    historyCache.delete(request.params.id.toLowerCase());
    return reply.code(204).send();
  });
}
