import type { Database, Queryable } from '@samosachaat/db';
import { COLUMNS, MESSAGE_CONTENT, toConversation, type Conversation, type ConversationRow } from '../conversations/conversation-store.js';
import { isUuid } from '../conversations/cursor.js';
import { chatError } from '../errors.js';
import type { MessageStatus } from '../metrics.js';
import { sameRecent, type HistoryCache } from './history-cache.js';
import { selectHistory, type ChatTurn, type HistoryCandidate, type HistoryLimits } from './history.js';

/** Characters of the first user message that become the conversation's title. */
export const TITLE_CHARS = 80;

/** The title a first message gives its conversation: whitespace collapsed, first 80 characters. */
export function titleFromMessage(content: string): string | null {
  const flat = content.replace(/\s+/g, ' ').trim();
  if (flat.length === 0) return null;
  return Array.from(flat).slice(0, TITLE_CHARS).join('');
}

/** A conversation as an answer needs it. */
export type AnswerConversation = Pick<Conversation, 'id' | 'model_tag'>;

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

/** What {@link prepareSend} uses besides the database. */
export interface SendOptions {
  limits: HistoryLimits;
  cache: HistoryCache;
  onCacheResult?(result: HistoryCacheResult): void;
  /** The user message is committed; `historyMessages` were sent with it. */
  onCommitted?(userMessageId: string, historyMessages: number): void;
}

// Failed answers (status 'error') are empty: they are shown to the user but never sent back
// to the model. `$2` is the message being answered; nothing after it is history.
const HISTORY_SQL = `SELECT role, ${MESSAGE_CONTENT} AS content, token_count FROM messages
  WHERE conversation_id = $1 AND status <> 'error'
    AND seq <= (SELECT seq FROM messages WHERE id = $2)
  ORDER BY seq DESC LIMIT $3`;

async function loadHistory(tx: Queryable, conversationId: string, answeringId: string, limits: HistoryLimits) {
  const { rows } = await tx.query<HistoryCandidate>(HISTORY_SQL, [conversationId, answeringId, limits.maxMessages], { operation: 'messages.history' });
  return selectHistory(rows, limits);
}

// One statement, one round trip: lock the conversation (the user's own, else nothing happens),
// insert the message, title an untitled conversation, bump updated_at — all or nothing — and
// read the newest `$5` messages history may use from before the insert (every part of a WITH
// sees the same snapshot, so the new message is not among them), newest first.
// That snapshot is taken when the statement starts. If another writer held the conversation's
// lock then, the statement waited for it and locked the row as that writer left it, but `h`
// still reads the older snapshot and misses what that writer committed. `raced` tells: the row
// version locked (xmin of the newest version, which FOR UPDATE returns after a wait) differs
// from the one in the statement's snapshot; the caller then reads the history again.
const SAVE_USER_MESSAGE_SQL = `WITH conv AS (
    SELECT id, xmin::text AS version FROM conversations WHERE id = $1 AND user_id = $2 FOR UPDATE
  ), saved AS (
    INSERT INTO messages (conversation_id, role, content, status) SELECT id, 'user', $3, 'complete' FROM conv RETURNING id
  ), touched AS (
    UPDATE conversations c SET title = COALESCE(c.title, $4), updated_at = now() FROM conv WHERE c.id = conv.id RETURNING c.id, c.model_tag
  ), h AS (
    SELECT messages.role, ${MESSAGE_CONTENT} AS content, messages.token_count, messages.seq FROM messages
     WHERE messages.conversation_id = (SELECT id FROM conv) AND messages.status <> 'error'
     ORDER BY messages.seq DESC LIMIT $5
  )
  SELECT saved.id AS message_id, touched.id, touched.model_tag,
         conv.version IS DISTINCT FROM (SELECT xmin::text FROM conversations WHERE id = $1) AS raced,
         h.role AS h_role, h.content AS h_content, h.token_count AS h_token_count
    FROM saved CROSS JOIN touched CROSS JOIN conv LEFT JOIN h ON true
   ORDER BY h.seq DESC`;

type SavedRow = {
  message_id: string;
  id: string;
  model_tag: string | null;
  raced: boolean;
  h_role: HistoryCandidate['role'] | null;
  h_content: string | null;
  h_token_count: number | null;
};

/** A user message just committed, with what the database held before it. */
export interface SavedUserMessage {
  messageId: string;
  conversation: AnswerConversation;
  /** The newest messages before it that history may use, newest first. */
  earlier: HistoryCandidate[];
}

/**
 * Saves the user's message (and titles an untitled conversation), committed in one statement
 * with the conversation row locked, so two saves to one conversation queue up; the same
 * statement reads the `depth` newest messages before it (read again if it had to wait for
 * another writer). 404 if the conversation is not the user's.
 */
export async function saveUserMessage(db: Database, userId: string, conversationId: string, content: string, depth: number): Promise<SavedUserMessage> {
  const { rows } = await db.query<SavedRow>(SAVE_USER_MESSAGE_SQL, [conversationId, userId, content, titleFromMessage(content), depth], { operation: 'messages.save_user' });
  const first = rows[0];
  if (!first) throw chatError('CHAT_CONVERSATION_NOT_FOUND');
  let earlier: HistoryCandidate[] = rows.flatMap((r) => (r.h_role === null ? [] : [{ role: r.h_role, content: r.h_content ?? '', token_count: r.h_token_count }]));
  if (first.raced) {
    // Read afresh: the history up to the new message (its first row), then the rest.
    const { rows: fresh } = await db.query<HistoryCandidate>(HISTORY_SQL, [first.id, first.message_id, depth + 1], { operation: 'messages.history' });
    earlier = fresh.slice(1);
  }
  return { messageId: first.message_id, conversation: { id: first.id, model_tag: first.model_tag }, earlier };
}

function promptFor(conversation: AnswerConversation, newestFirst: HistoryCandidate[], limits: HistoryLimits): AnswerPrompt {
  const { turns, estimatedTokens } = selectHistory(newestFirst, limits);
  return { conversation, history: turns, estimatedTokens };
}

/**
 * A send, before its answer. When the conversation's recent history is cached, inference can
 * start at once on it while one statement saves the message and reads what the database
 * holds; `commit()` then says whether the two agreed (`restartWith` when not). Otherwise the
 * statement is awaited first (one round trip before inference). Either way the cache ends up
 * holding what the database said, the new message included. 404 when the conversation is not
 * the user's (or was deleted before the save).
 */
export async function prepareSend(db: Database, userId: string, conversationId: string, content: string, options: SendOptions): Promise<AnswerContext> {
  if (!isUuid(conversationId)) throw chatError('CHAT_CONVERSATION_NOT_FOUND');
  // The database's spelling (lower case): the cache's key, whatever case the URL used.
  conversationId = conversationId.toLowerCase();
  const { cache, limits } = options;
  const message: HistoryCandidate = { role: 'user', content, token_count: null };
  const cached = cache.get(conversationId, userId);
  const save = () =>
    saveUserMessage(db, userId, conversationId, content, cache.depth).then(
      (saved) => {
        cache.set(conversationId, { userId, modelTag: saved.conversation.model_tag, recent: [message, ...saved.earlier] });
        return saved;
      },
      (err: unknown) => {
        // This user's entry was wrong (the conversation is gone) or cannot be confirmed. An
        // entry of someone else's is left alone: a stranger's 404 must not evict it.
        if (cached) cache.delete(conversationId);
        throw err;
      },
    );
  if (!cached) {
    options.onCacheResult?.('miss');
    const saved = await save();
    const prompt = promptFor(saved.conversation, [message, ...saved.earlier], limits);
    options.onCommitted?.(saved.messageId, prompt.history.length);
    const committed = Promise.resolve({ userMessageId: saved.messageId });
    return { ...prompt, commit: () => committed };
  }
  const guessed = promptFor({ id: conversationId, model_tag: cached.modelTag }, [message, ...cached.recent], limits);
  const cachedRecent = cached.recent;
  let committed: Promise<CommittedMessage> | undefined;
  const commit = () =>
    (committed ??= save().then((saved): CommittedMessage => {
      if (saved.conversation.model_tag === guessed.conversation.model_tag && sameRecent(saved.earlier, cachedRecent)) {
        options.onCacheResult?.('hit');
        options.onCommitted?.(saved.messageId, guessed.history.length);
        return { userMessageId: saved.messageId };
      }
      options.onCacheResult?.('stale');
      const restartWith = promptFor(saved.conversation, [message, ...saved.earlier], limits);
      options.onCommitted?.(saved.messageId, restartWith.history.length);
      return { userMessageId: saved.messageId, restartWith };
    }));
  return { ...guessed, commit };
}

/**
 * Prepares a regeneration: the last user message and the history up to it (the answer being
 * replaced is left out). Nothing is deleted here: the old answer is swapped for the new one
 * in one transaction when the new one is persisted. 409 when there is no user message.
 */
export async function prepareRegeneration(db: Database, userId: string, conversationId: string, limits: HistoryLimits): Promise<AnswerContext> {
  if (!isUuid(conversationId)) throw chatError('CHAT_CONVERSATION_NOT_FOUND');
  const { rows } = await db.query<ConversationRow & { last_user_id: string | null }>(
    `SELECT ${COLUMNS},
            (SELECT m.id FROM messages m WHERE m.conversation_id = c.id AND m.role = 'user' ORDER BY m.seq DESC LIMIT 1) AS last_user_id
       FROM conversations c WHERE c.id = $1 AND c.user_id = $2`,
    [conversationId, userId],
    { operation: 'messages.last_user' },
  );
  const row = rows[0];
  if (!row) throw chatError('CHAT_CONVERSATION_NOT_FOUND');
  if (row.last_user_id === null) throw chatError('CHAT_NOTHING_TO_REGENERATE');
  const conversation = toConversation(row);
  const { turns, estimatedTokens } = await loadHistory(db, conversation.id, row.last_user_id, limits);
  const committed = Promise.resolve({ userMessageId: row.last_user_id });
  return { conversation, history: turns, estimatedTokens, commit: () => committed };
}

/** An answer ready to be stored. */
export interface AnswerRecord {
  conversationId: string;
  /** The user message it answers. */
  answersMessageId: string;
  /** The content not yet in the database (all of it, unless part was flushed already). */
  content: string;
  tokenCount: number;
  modelTag: string | null;
  inferenceTimeMs: number;
  status: MessageStatus;
  /** Regenerate: remove the previous answer(s) to `answersMessageId` in the same transaction. */
  replacePrevious: boolean;
  /** Where a long answer was already flushed to while it streamed ({@link flushAnswerPart}). */
  flushed?: FlushedAnswer;
}

/** Where the flushed parts of a streaming answer went. */
export interface FlushedAnswer {
  /** The assistant row (status `incomplete` until the answer ends). */
  id: string;
  /** Parts written so far. */
  parts: number;
}

/**
 * Writes part of an answer that is still streaming, so a long answer is not held in memory:
 * the first part creates the assistant row (status `incomplete`, its text kept in
 * message_parts), later parts are appended as new parts, never rewriting what is there. Returns
 * where the answer now is, or undefined when the conversation was deleted meanwhile (nothing is
 * written then).
 */
export async function flushAnswerPart(db: Database, conversationId: string, flushed: FlushedAnswer | undefined, content: string, modelTag: string | null): Promise<FlushedAnswer | undefined> {
  if (flushed !== undefined) {
    const { rowCount } = await db.query(
      'INSERT INTO message_parts (message_id, part, content) SELECT id, $2, $3 FROM messages WHERE id = $1',
      [flushed.id, flushed.parts, content],
      { operation: 'messages.append_part' },
    );
    return rowCount === 1 ? { id: flushed.id, parts: flushed.parts + 1 } : undefined;
  }
  const { rows } = await db.query<{ id: string }>(
    `WITH answer AS (
       INSERT INTO messages (conversation_id, role, content, model_tag, status)
       SELECT id, 'assistant', '', $3, 'incomplete' FROM conversations WHERE id = $1 RETURNING id)
     INSERT INTO message_parts (message_id, part, content) SELECT id, 0, $2 FROM answer RETURNING message_id AS id`,
    [conversationId, content, modelTag],
    { operation: 'messages.insert_part' },
  );
  return rows[0] ? { id: rows[0].id, parts: 1 } : undefined;
}

/**
 * Stores an assistant answer and bumps the conversation's updated_at, in one transaction
 * (completing the row of a flushed answer, or inserting a new one). Returns the message id, or
 * undefined when the conversation was deleted meanwhile.
 */
export async function persistAssistantMessage(db: Database, answer: AnswerRecord): Promise<{ id: string; replaced: number } | undefined> {
  if (!answer.replacePrevious && answer.flushed === undefined) {
    // The common case in one statement (one round trip): lock, insert, bump updated_at.
    const { rows } = await db.query<{ id: string }>(
      `WITH conv AS (SELECT id FROM conversations WHERE id = $1 FOR UPDATE),
            saved AS (
              INSERT INTO messages (conversation_id, role, content, token_count, model_tag, inference_time_ms, status)
              SELECT id, 'assistant', $2, $3, $4, $5, $6 FROM conv RETURNING id),
            touched AS (UPDATE conversations c SET updated_at = now() FROM conv WHERE c.id = conv.id RETURNING c.id)
       SELECT saved.id FROM saved, touched`,
      [answer.conversationId, answer.content, answer.tokenCount, answer.modelTag, answer.inferenceTimeMs, answer.status],
      { operation: 'messages.save_answer' },
    );
    return rows[0] ? { id: rows[0].id, replaced: 0 } : undefined;
  }
  return db.transaction(async (tx) => {
    const { rows: found } = await tx.query('SELECT id FROM conversations WHERE id = $1 FOR UPDATE', [answer.conversationId], { operation: 'conversations.lock' });
    if (found.length === 0) return undefined;
    let replaced = 0;
    if (answer.replacePrevious) {
      // The answers to this user message: assistant rows after it and before the next user
      // message, except the new answer's own row when part of it was flushed already.
      const deleted = await tx.query(
        `DELETE FROM messages m
          WHERE m.conversation_id = $1 AND m.role = 'assistant' AND m.id IS DISTINCT FROM $3::uuid
            AND m.seq > (SELECT seq FROM messages WHERE id = $2)
            AND NOT EXISTS (
              SELECT 1 FROM messages u
               WHERE u.conversation_id = $1 AND u.role = 'user'
                 AND u.seq > (SELECT seq FROM messages WHERE id = $2)
                 AND u.seq < m.seq)`,
        [answer.conversationId, answer.answersMessageId, answer.flushed?.id ?? null],
        { operation: 'messages.delete_answer' },
      );
      replaced = deleted.rowCount;
    }
    let id: string | undefined;
    if (answer.flushed !== undefined) {
      // The parts, in order, then what was still in memory: one text again.
      const { rows } = await tx.query<{ id: string }>(
        `UPDATE messages SET content = content || COALESCE((SELECT string_agg(p.content, '' ORDER BY p.part) FROM message_parts p WHERE p.message_id = $1), '') || $2,
                token_count = $3, model_tag = $4, inference_time_ms = $5, status = $6
          WHERE id = $1 RETURNING id`,
        [answer.flushed.id, answer.content, answer.tokenCount, answer.modelTag, answer.inferenceTimeMs, answer.status],
        { operation: 'messages.join_parts' },
      );
      id = rows[0]?.id;
      await tx.query('DELETE FROM message_parts WHERE message_id = $1', [answer.flushed.id], { operation: 'messages.delete_parts' });
    }
    if (id === undefined) {
      const { rows } = await tx.query<{ id: string }>(
        `INSERT INTO messages (conversation_id, role, content, token_count, model_tag, inference_time_ms, status)
         VALUES ($1, 'assistant', $2, $3, $4, $5, $6) RETURNING id`,
        [answer.conversationId, answer.content, answer.tokenCount, answer.modelTag, answer.inferenceTimeMs, answer.status],
        { operation: 'messages.insert' },
      );
      id = (rows[0] as { id: string }).id;
    }
    await tx.query('UPDATE conversations SET updated_at = now() WHERE id = $1', [answer.conversationId], { operation: 'conversations.touch' });
    return { id, replaced };
  });
}
