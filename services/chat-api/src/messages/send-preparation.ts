import type { Database } from '@samosachaat/db';
import { COLUMNS, MESSAGE_COLUMNS, toConversation, toMessage, type Conversation, type ConversationRow, type Message } from '../conversations/conversation-store.js';
import { isUuid } from '../conversations/cursor.js';
import { CHAT_ERRORS } from '../errors.js';
import { nextVersion, type HistoryCache } from './history-cache.js';
import { historyBefore, loadHistory, readConversation } from './history-queries.js';
import { selectHistory, type ChatTurn, type HistoryCandidate, type HistoryLimits } from './history.js';
import { startAnswerRow } from './answer-persistence.js';
import { titleFromMessage } from '../conversations/title.js';
import { sameSettings, type ConversationSettings } from '../conversations/settings.js';
import type { MessageWriter } from './message-writer.js';

// Send preparation: what an answer is generated from, before anything streams.

export { titleFromMessage } from '../conversations/title.js';

/** A conversation as an answer needs it. */
export type AnswerConversation = Pick<Conversation, 'id' | 'model_tag'> & Partial<ConversationSettings>;

/** What inference is asked to answer. */
export interface AnswerPrompt {
  conversation: AnswerConversation;
  /** The window sent to inference, oldest first, ending with the message being answered. */
  history: ChatTurn[];
  estimatedTokens: number;
}

/** The user message being answered, once it is committed. */
export interface CommittedMessage {
  userMessageId: string;
  /** The answer's row, `streaming` until the answer ends. */
  answerId: string;
  /**
   * Set when the prompt inference was started on was a cached guess that the database
   * contradicted (another writer changed the conversation): the prompt to start over with.
   */
  restartWith?: AnswerPrompt;
}

/** What an answer is generated from. */
export interface AnswerContext extends AnswerPrompt {
  /**
   * Resolves once the user message is committed; a rejection (the save failed) ends the answer
   * before it began, and nothing is sent to the client before it resolves. For a send whose
   * history was cached, the save starts at the first call: the answer makes it once inference
   * has answered, so inference starts before the database has been asked anything.
   */
  commit(): Promise<CommittedMessage>;
}

/** How a send found its history (`chat_history_cache_requests_total{result}`). */
export type HistoryCacheResult = 'hit' | 'miss' | 'stale';

/**
 * A send whose client message id was stored already (a retry after a timeout or a 503 whose
 * commit had in fact landed): nothing was stored again, no answer is generated.
 */
export class DuplicateSendError extends Error {
  constructor(
    readonly conversationId: string,
    readonly userMessageId: string,
  ) {
    super('this message was stored already (same client message id)');
    this.name = 'DuplicateSendError';
  }
}

/** The stored message a duplicate send names, and the answer after it (null when there is none). */
export async function storedExchange(db: Database, conversationId: string, userMessageId: string): Promise<{ message: Message; answer: Message | null }> {
  const { rows } = await db.query<Parameters<typeof toMessage>[0]>(
    `SELECT ${MESSAGE_COLUMNS} FROM messages
      WHERE conversation_id = $1 AND seq >= (SELECT seq FROM messages WHERE id = $2)
      ORDER BY seq LIMIT 2`,
    [conversationId, userMessageId],
    { operation: 'messages.exchange' },
  );
  const [message, next] = rows.map(toMessage);
  if (!message) throw CHAT_ERRORS.CHAT_CONVERSATION_NOT_FOUND();
  return { message, answer: next?.role === 'assistant' ? next : null };
}

/** What {@link prepareSend} uses besides the database. */
export interface SendOptions {
  /** The client's id for the message (Idempotency-Key header or client_message_id). */
  clientMessageId?: string;
  limits: HistoryLimits;
  cache: HistoryCache;
  onCacheResult?(result: HistoryCacheResult): void;
  /** The user message is committed; `historyMessages` were sent with it. */
  onCommitted?(userMessageId: string, historyMessages: number): void;
}

function promptFor(conversation: AnswerConversation, newestFirst: HistoryCandidate[], limits: HistoryLimits): AnswerPrompt {
  const { turns, estimatedTokens } = selectHistory(newestFirst, limits);
  return { conversation, history: turns, estimatedTokens };
}

/**
 * A send, before its answer. Inference starts on the conversation's cached history (read first
 * when it is not cached: one round trip) while the user message is saved; `commit()` then says
 * whether the history_version the save locked is the one that history was of (`restartWith`
 * the database's history when not). Either way the cache ends up holding what the database
 * said, the new message included. 404 when the conversation is not the user's (or was deleted
 * before the save).
 */
export async function prepareSend(db: Database, writer: MessageWriter, userId: string, conversationId: string, content: string, options: SendOptions): Promise<AnswerContext> {
  if (!isUuid(conversationId)) throw CHAT_ERRORS.CHAT_CONVERSATION_NOT_FOUND();
  // The database's spelling (lower case): the cache's key, whatever case the URL used.
  conversationId = conversationId.toLowerCase();
  const { cache, limits } = options;
  const message: HistoryCandidate = { role: 'user', content, token_count: null };
  let found: HistoryCacheResult = 'hit';
  let cached = cache.get(conversationId, userId);
  if (!cached) {
    found = 'miss';
    const read = await readConversation(db, userId, conversationId, cache.depth);
    if (!read) throw CHAT_ERRORS.CHAT_CONVERSATION_NOT_FOUND();
    cached = read.cached;
    cache.set(conversationId, cached);
  }
  const guess = cached;
  const guessed = promptFor({ id: conversationId, model_tag: guess.modelTag, ...guess.settings }, [message, ...guess.recent], limits);
  let committed: Promise<CommittedMessage> | undefined;
  const commit = () =>
    (committed ??= (async (): Promise<CommittedMessage> => {
      const saved = await writer.saveUserMessage({ conversationId, userId, content, title: titleFromMessage(content), clientMessageId: options.clientMessageId ?? null });
      if (!saved) {
        // This user's entry was wrong (the conversation is gone). An entry of someone else's
        // is never served here, so a stranger's 404 cannot evict it.
        cache.delete(conversationId);
        throw CHAT_ERRORS.CHAT_CONVERSATION_NOT_FOUND();
      }
      if (saved.duplicate) {
        let id = saved.messageId;
        if (id === '') {
          const { rows } = await db.query<{ id: string }>('SELECT id FROM messages WHERE conversation_id = $1 AND client_message_id = $2', [conversationId, options.clientMessageId], {
            operation: 'messages.by_client_id',
          });
          id = rows[0]?.id ?? '';
        }
        throw new DuplicateSendError(conversationId, id);
      }
      if (saved.version === guess.version && saved.conversation.model_tag === guess.modelTag && sameSettings(saved.conversation, guess.settings)) {
        cache.set(conversationId, { ...guess, version: nextVersion(saved.version), recent: [message, ...guess.recent] });
        options.onCacheResult?.(found);
        options.onCommitted?.(saved.messageId, guessed.history.length);
        return { userMessageId: saved.messageId, answerId: saved.answerId };
      }
      // Another writer changed the conversation since the guess: start over on what the
      // database holds up to the new message.
      options.onCacheResult?.('stale');
      const restartWith = promptFor(saved.conversation, [message, ...(await historyBefore(db, cache, userId, saved))], limits);
      options.onCommitted?.(saved.messageId, restartWith.history.length);
      return { userMessageId: saved.messageId, answerId: saved.answerId, restartWith };
    })());
  return { ...guessed, commit };
}

/**
 * Prepares a regeneration: the last user message and the history up to it (the answer being
 * replaced is left out); `commit()` inserts the new answer's `streaming` row. Nothing is deleted here: the old answer is swapped for the new one
 * in one transaction when the new one is persisted. 409 when there is no user message.
 */
export async function prepareRegeneration(db: Database, writer: MessageWriter, userId: string, conversationId: string, limits: HistoryLimits): Promise<AnswerContext> {
  if (!isUuid(conversationId)) throw CHAT_ERRORS.CHAT_CONVERSATION_NOT_FOUND();
  const { rows } = await db.query<ConversationRow & { last_user_id: string | null }>(
    `SELECT ${COLUMNS},
            (SELECT m.id FROM messages m WHERE m.conversation_id = c.id AND m.role = 'user' ORDER BY m.seq DESC LIMIT 1) AS last_user_id
       FROM conversations c WHERE c.id = $1 AND c.user_id = $2`,
    [conversationId, userId],
    { operation: 'messages.last_user' },
  );
  const row = rows[0];
  if (!row) throw CHAT_ERRORS.CHAT_CONVERSATION_NOT_FOUND();
  if (row.last_user_id === null) throw CHAT_ERRORS.CHAT_NOTHING_TO_REGENERATE();
  const conversation = toConversation(row);
  const { turns, estimatedTokens } = await loadHistory(db, conversation.id, row.last_user_id, limits);
  const userMessageId = row.last_user_id;
  let committed: Promise<CommittedMessage> | undefined;
  // The new answer's `streaming` row; the previous answer is replaced when the new one ends.
  const commit = () =>
    (committed ??= startAnswerRow(db, conversation.id, writer.instanceId, conversation.model_tag).then((answerId) => {
      if (answerId === undefined) throw CHAT_ERRORS.CHAT_CONVERSATION_NOT_FOUND();
      return { userMessageId, answerId };
    }));
  return { conversation, history: turns, estimatedTokens, commit };
}
