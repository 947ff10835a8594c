import { DatabaseUnavailableError, isDatabaseUnavailable, type Database, type Queryable } from '@samosachaat/db';
import { COLUMNS, MESSAGE_CONTENT, toConversation, type Conversation, type ConversationRow } from '../conversations/conversation-store.js';
import { isUuid } from '../conversations/cursor.js';
import { chatError } from '../errors.js';
import type { MessageStatus } from '../metrics.js';
import { GroupCommit } from './group-commit.js';
import { nextVersion, type CachedConversation, type HistoryCache } from './history-cache.js';
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

/** A user message to save. */
export interface UserMessageRequest {
  conversationId: string;
  userId: string;
  content: string;
  /** The title an untitled conversation gets. */
  title: string | null;
}

/** A user message just committed. */
export interface SavedUserMessage {
  messageId: string;
  conversation: AnswerConversation;
  /** The history_version the save found (locked): the history before the message is that version's. */
  version: string;
}

// One statement for a batch of sends (group commit), one per conversation: lock each
// conversation that is the sender's (in id order, so two batches never deadlock), insert the
// messages, title untitled conversations. The database's trigger then bumps each
// conversation's history_version and updated_at. The version returned is the locked row's:
// after a wait for another writer's lock, the row as that writer left it.
const SAVE_USER_MESSAGES_SQL = `WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[]) AS i(conversation_id, user_id, content, title)
  ), conv AS (
    SELECT c.id, c.model_tag, c.history_version FROM conversations c JOIN input ON c.id = input.conversation_id AND c.user_id = input.user_id
     ORDER BY c.id FOR UPDATE OF c
  ), saved AS (
    INSERT INTO messages (conversation_id, role, content, status)
    SELECT conv.id, 'user', input.content, 'complete' FROM conv JOIN input ON input.conversation_id = conv.id RETURNING id, conversation_id
  ), titled AS (
    UPDATE conversations c SET title = input.title FROM conv JOIN input ON input.conversation_id = conv.id
     WHERE c.id = conv.id AND c.title IS NULL AND input.title IS NOT NULL RETURNING c.id
  )
  SELECT saved.conversation_id::text AS conversation_id, saved.id AS message_id, conv.model_tag, conv.history_version::text AS version
    FROM saved JOIN conv ON conv.id = saved.conversation_id`;

/**
 * Saves user messages, one per conversation, in one statement; per request the saved message,
 * or undefined when the conversation is not that user's (or is gone).
 */
export async function saveUserMessages(db: Queryable, requests: readonly UserMessageRequest[]): Promise<(SavedUserMessage | undefined)[]> {
  assertOnePerConversation(requests);
  const { rows } = await db.query<{ conversation_id: string; message_id: string; model_tag: string | null; version: string }>(
    SAVE_USER_MESSAGES_SQL,
    [requests.map((r) => r.conversationId), requests.map((r) => r.userId), requests.map((r) => r.content), requests.map((r) => r.title)],
    { operation: 'messages.save_user' },
  );
  return perWrite(requests, rows, (row) => ({ messageId: row.message_id, conversation: { id: row.conversation_id, model_tag: row.model_tag }, version: row.version }));
}

/** A batch statement joins its input to conversations by id: one write per conversation. */
function assertOnePerConversation(writes: readonly { conversationId: string }[]): void {
  if (new Set(writes.map((w) => w.conversationId.toLowerCase())).size !== writes.length) throw new Error('one write per conversation in a batch');
}

/** A batch statement's rows (one per conversation written) as one result per write, in order; undefined for a write that found no conversation. */
function perWrite<R extends { conversation_id: string }, O>(writes: readonly { conversationId: string }[], rows: readonly R[], result: (row: R) => O): (O | undefined)[] {
  const byConversation = new Map(rows.map((r) => [r.conversation_id, r]));
  return writes.map((w) => {
    const row = byConversation.get(w.conversationId.toLowerCase());
    return row && result(row);
  });
}

/** An answer to insert (the common case: not flushed in parts, replacing nothing). */
export interface AnswerInsert {
  conversationId: string;
  content: string;
  tokenCount: number | null;
  modelTag: string | null;
  inferenceTimeMs: number;
  status: MessageStatus;
}

/** An answer just inserted. */
export interface InsertedAnswer {
  id: string;
  /** The history_version the insert found (locked). */
  version: string;
}

const SAVE_ANSWERS_SQL = `WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::integer[], $4::text[], $5::integer[], $6::text[])
      AS i(conversation_id, content, token_count, model_tag, inference_time_ms, status)
  ), conv AS (
    SELECT c.id, c.history_version FROM conversations c JOIN input ON c.id = input.conversation_id ORDER BY c.id FOR UPDATE OF c
  ), saved AS (
    INSERT INTO messages (conversation_id, role, content, token_count, model_tag, inference_time_ms, status)
    SELECT conv.id, 'assistant', input.content, input.token_count, input.model_tag, input.inference_time_ms, input.status
      FROM conv JOIN input ON input.conversation_id = conv.id RETURNING id, conversation_id
  )
  SELECT saved.conversation_id::text AS conversation_id, saved.id, conv.history_version::text AS version
    FROM saved JOIN conv ON conv.id = saved.conversation_id`;

/** Inserts answers, one per conversation, in one statement; undefined for a conversation deleted meanwhile. */
export async function saveAnswers(db: Queryable, answers: readonly AnswerInsert[]): Promise<(InsertedAnswer | undefined)[]> {
  assertOnePerConversation(answers);
  const { rows } = await db.query<{ conversation_id: string; id: string; version: string }>(
    SAVE_ANSWERS_SQL,
    [
      answers.map((a) => a.conversationId),
      answers.map((a) => a.content),
      answers.map((a) => a.tokenCount),
      answers.map((a) => a.modelTag),
      answers.map((a) => a.inferenceTimeMs),
      answers.map((a) => a.status),
    ],
    { operation: 'messages.save_answer' },
  );
  return perWrite(answers, rows, (row) => ({ id: row.id, version: row.version }));
}

/** How {@link MessageWriter} groups writes. */
export interface MessageWriterOptions {
  /** Writes per statement at most. Default 100. */
  maxBatch?: number;
  /** Statements in flight per kind of write at most. Default 4 (two kinds: 8, below the pool's 10). */
  maxInFlight?: number;
  /** Told the size of every batch sent. */
  onBatch?(operation: 'save_user' | 'save_answer', size: number): void;
}

/**
 * The writes every send makes — its user message, then its answer — grouped into one statement
 * per batch ({@link GroupCommit}): alone when the database is idle, together under load.
 */
export class MessageWriter {
  private readonly users: GroupCommit<UserMessageRequest, SavedUserMessage | undefined>;
  private readonly answers: GroupCommit<AnswerInsert, InsertedAnswer | undefined>;

  constructor(
    readonly db: Database,
    options: MessageWriterOptions = {},
  ) {
    const maxBatch = options.maxBatch ?? 100;
    const maxInFlight = options.maxInFlight ?? 4;
    const key = (w: { conversationId: string }) => w.conversationId.toLowerCase();
    // Database down: every write would fail alone too; a refused value fails alone.
    const splitOnFailure = (err: unknown) => !(err instanceof DatabaseUnavailableError || isDatabaseUnavailable(err));
    const shared = { key, maxBatch, maxInFlight, splitOnFailure };
    this.users = new GroupCommit<UserMessageRequest, SavedUserMessage | undefined>({ ...shared, run: (items) => saveUserMessages(db, items), onBatch: (n) => options.onBatch?.('save_user', n) });
    this.answers = new GroupCommit<AnswerInsert, InsertedAnswer | undefined>({ ...shared, run: (items) => saveAnswers(db, items), onBatch: (n) => options.onBatch?.('save_answer', n) });
  }

  saveUserMessage(request: UserMessageRequest): Promise<SavedUserMessage | undefined> {
    return this.users.submit(request);
  }

  saveAnswer(answer: AnswerInsert): Promise<InsertedAnswer | undefined> {
    return this.answers.submit(answer);
  }
}

function promptFor(conversation: AnswerConversation, newestFirst: HistoryCandidate[], limits: HistoryLimits): AnswerPrompt {
  const { turns, estimatedTokens } = selectHistory(newestFirst, limits);
  return { conversation, history: turns, estimatedTokens };
}

// A conversation that is the user's, its history_version and its newest `$3` messages history
// may use, newest first — one snapshot, so the version is that history's.
const CONVERSATION_HISTORY_SQL = `SELECT c.model_tag, c.history_version::text AS version,
         h.id AS h_id, h.role AS h_role, h.content AS h_content, h.token_count AS h_token_count
    FROM conversations c LEFT JOIN LATERAL (
      SELECT messages.id, messages.role, ${MESSAGE_CONTENT} AS content, messages.token_count, messages.seq FROM messages
       WHERE messages.conversation_id = c.id AND messages.status <> 'error'
       ORDER BY messages.seq DESC LIMIT $3) h ON true
   WHERE c.id = $1 AND c.user_id = $2
   ORDER BY h.seq DESC`;

type ConversationHistoryRow = {
  model_tag: string | null;
  version: string;
  h_id: string | null;
  h_role: HistoryCandidate['role'] | null;
  h_content: string | null;
  h_token_count: number | null;
};

/** What the database holds of a conversation for a send; undefined when it is not the user's. */
async function readConversation(db: Queryable, userId: string, conversationId: string, depth: number) {
  const { rows } = await db.query<ConversationHistoryRow>(CONVERSATION_HISTORY_SQL, [conversationId, userId, depth], { operation: 'messages.history' });
  const first = rows[0];
  if (!first) return undefined;
  const messages = rows.flatMap((r) => (r.h_id === null ? [] : [{ id: r.h_id, candidate: { role: r.h_role, content: r.h_content ?? '', token_count: r.h_token_count } as HistoryCandidate }]));
  const cached: CachedConversation = { userId, modelTag: first.model_tag, version: first.version, recent: messages.map((m) => m.candidate) };
  return { cached, ids: messages.map((m) => m.id) };
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
  if (!isUuid(conversationId)) throw chatError('CHAT_CONVERSATION_NOT_FOUND');
  // The database's spelling (lower case): the cache's key, whatever case the URL used.
  conversationId = conversationId.toLowerCase();
  const { cache, limits } = options;
  const message: HistoryCandidate = { role: 'user', content, token_count: null };
  let found: HistoryCacheResult = 'hit';
  let cached = cache.get(conversationId, userId);
  if (!cached) {
    found = 'miss';
    const read = await readConversation(db, userId, conversationId, cache.depth);
    if (!read) throw chatError('CHAT_CONVERSATION_NOT_FOUND');
    cached = read.cached;
    cache.set(conversationId, cached);
  }
  const guess = cached;
  const guessed = promptFor({ id: conversationId, model_tag: guess.modelTag }, [message, ...guess.recent], limits);
  let committed: Promise<CommittedMessage> | undefined;
  const commit = () =>
    (committed ??= (async (): Promise<CommittedMessage> => {
      const saved = await writer.saveUserMessage({ conversationId, userId, content, title: titleFromMessage(content) });
      if (!saved) {
        // This user's entry was wrong (the conversation is gone). An entry of someone else's
        // is never served here, so a stranger's 404 cannot evict it.
        cache.delete(conversationId);
        throw chatError('CHAT_CONVERSATION_NOT_FOUND');
      }
      if (saved.version === guess.version && saved.conversation.model_tag === guess.modelTag) {
        cache.set(conversationId, { ...guess, version: nextVersion(saved.version), recent: [message, ...guess.recent] });
        options.onCacheResult?.(found);
        options.onCommitted?.(saved.messageId, guessed.history.length);
        return { userMessageId: saved.messageId };
      }
      // Another writer changed the conversation since the guess: start over on what the
      // database holds up to the new message.
      options.onCacheResult?.('stale');
      const restartWith = promptFor(saved.conversation, [message, ...(await historyBefore(db, cache, userId, saved))], limits);
      options.onCommitted?.(saved.messageId, restartWith.history.length);
      return { userMessageId: saved.messageId, restartWith };
    })());
  return { ...guessed, commit };
}

/** The history before a just-saved message, as the database holds it now; the cache follows it. */
async function historyBefore(db: Database, cache: HistoryCache, userId: string, saved: SavedUserMessage): Promise<HistoryCandidate[]> {
  const id = saved.conversation.id;
  const read = await readConversation(db, userId, id, cache.depth + 1);
  if (read && read.ids[0] === saved.messageId) {
    // Still the newest message: that read is its history and the cache's new entry.
    cache.set(id, read.cached);
    return read.cached.recent.slice(1);
  }
  // Later messages (or none: deleted meanwhile) — read up to the message itself.
  cache.delete(id);
  const { rows } = await db.query<HistoryCandidate>(HISTORY_SQL, [id, saved.messageId, cache.depth + 1], { operation: 'messages.history' });
  return rows.slice(1);
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
 * Stores an assistant answer (completing the row of a flushed answer, or inserting a new one;
 * the database's trigger bumps the conversation's history_version and updated_at). Returns the
 * message id — with the history_version the insert found, for the common case of a new answer
 * replacing nothing — or undefined when the conversation was deleted meanwhile.
 */
export async function persistAssistantMessage(writer: MessageWriter, answer: AnswerRecord): Promise<{ id: string; replaced: number; version?: string } | undefined> {
  if (!answer.replacePrevious && answer.flushed === undefined) {
    // The common case: one statement, shared with the other answers ending now.
    const { conversationId, content, tokenCount, modelTag, inferenceTimeMs, status } = answer;
    const saved = await writer.saveAnswer({ conversationId, content, tokenCount, modelTag, inferenceTimeMs, status });
    return saved && { id: saved.id, replaced: 0, version: saved.version };
  }
  const db = writer.db;
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
    return { id, replaced };
  });
}
