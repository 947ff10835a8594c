import type { Database } from '@samosachaat/db';
import { AppError } from '@samosachaat/service-kit';
import type { FastifyInstance } from 'fastify';
import { isForeignKeyViolation } from '@samosachaat/db';
import { authenticatedUser, userGoneError } from '../auth/auth-guard.js';
import { CHAT_ERRORS } from '../errors.js';
import { createConversation, deleteConversation, findConversation, listConversations, listMessages, updateConversation, type ConversationChanges } from './conversation-store.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { HistoryCache } from '../messages/history-cache.js';

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
export function registerConversationRoutes(app: FastifyInstance, db: Database, historyCache: HistoryCache): void {
  app.get<{ Querystring: { limit?: number; cursor?: string } }>(
    '/conversations',
    {
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

  app.post<{ Body: { title?: string; model_tag?: string | null } | null }>(
    '/conversations',
    { schema: { body: { type: ['object', 'null'], properties: { title, model_tag: modelTag } } } },
    async (request, reply) => {
      const user = authenticatedUser(request);
      const body = request.body ?? {};
      let conversation;
      try {
        conversation = await createConversation(db, user.id, { title: body.title?.trim(), model_tag: body.model_tag });
      } catch (err) {
        // The user was deleted after auth vouched for the token (chat-api caches that answer).
        if (isForeignKeyViolation(err)) throw userGoneError(request);
        throw err;
      }
      historyCache.set(conversation.id, { userId: user.id, modelTag: conversation.model_tag, version: '0', recent: [] });
      return reply.code(201).send(conversation);
    },
  );

  app.get<{ Params: IdParams }>('/conversations/:id', async (request) => {
    const user = authenticatedUser(request);
    const conversation = await findConversation(db, user.id, request.params.id);
    if (!conversation) throw CHAT_ERRORS.CHAT_CONVERSATION_NOT_FOUND();
    return { ...conversation, messages: await listMessages(db, conversation.id) };
  });

  app.put<{ Params: IdParams; Body: ConversationChanges }>(
    '/conversations/:id',
    { schema: { body: { type: 'object', properties: { title, favorited: { type: 'boolean' }, model_tag: modelTag } } } },
    async (request) => {
      const user = authenticatedUser(request);
      const { title: newTitle, favorited, model_tag } = request.body;
      if (newTitle === undefined && favorited === undefined && model_tag === undefined) {
        throw new AppError('VALIDATION_FAILED', 'body must set at least one of title, favorited, model_tag', 400);
      }
      const updated = await updateConversation(db, user.id, request.params.id, { title: newTitle?.trim(), favorited, model_tag });
      if (!updated) throw CHAT_ERRORS.CHAT_CONVERSATION_NOT_FOUND();
      // Only the owner's change counts; the model is part of what a send guesses.
      if (model_tag !== undefined) historyCache.delete(updated.id);
      return updated;
    },
  );

  app.delete<{ Params: IdParams }>('/conversations/:id', async (request, reply) => {
    const user = authenticatedUser(request);
    if (!(await deleteConversation(db, user.id, request.params.id))) throw CHAT_ERRORS.CHAT_CONVERSATION_NOT_FOUND();
    historyCache.delete(request.params.id.toLowerCase());
    return reply.code(204).send();
  });
}
