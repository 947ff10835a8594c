import { DatabaseUnavailableError, isDatabaseUnavailable, type Database, type Queryable } from '@samosachaat/db';
import type { MessageStatus } from '../metrics.js';
import { GroupCommit } from './group-commit.js';
import type { AnswerConversation } from './send-preparation.js';

// The message writer: the writes every send makes, grouped into one statement per batch.

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
