import { settingsOf, type ConversationSettings } from '../conversations/settings.js';
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
  /** The client's id for this message (Idempotency-Key): a retry finds the first one. */
  clientMessageId?: string | null;
}

/** A user message just committed, with the row of its answer (status `streaming`). */
export interface SavedUserMessage {
  messageId: string;
  /** The assistant row the answer streams into, inserted by the same statement. */
  answerId: string;
  conversation: AnswerConversation;
  /** The history_version the save found (locked): the history before the message is that version's. */
  version: string;
  /**
   * Set when a message with this client message id was stored already (a retried send): then
   * `messageId` is that message's, nothing was written and `answerId` is empty.
   */
  duplicate?: true;
}

// One statement for a batch of sends (group commit), one per conversation: lock each
// conversation that is the sender's (in id order, so two batches never deadlock), insert the
// messages and, after each (it reads the message's row, so its seq is larger), the answer's row
// as `streaming`, owned by this instance ($5), title untitled conversations. The database's
// trigger then bumps each conversation's history_version and updated_at once (a streaming row
// is not history yet). The version returned is the locked row's: after a wait for another
// writer's lock, the row as that writer left it.
const SAVE_USER_MESSAGES_SQL = `WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $6::text[]) AS i(conversation_id, user_id, content, title, client_id)
  ), conv AS (
    SELECT c.id, c.model_tag, c.system_prompt, c.temperature, c.max_tokens, c.history_version FROM conversations c JOIN input ON c.id = input.conversation_id AND c.user_id = input.user_id
     ORDER BY c.id FOR UPDATE OF c
  ), prior AS (
    SELECT m.conversation_id, m.id FROM messages m JOIN input ON m.conversation_id = input.conversation_id AND m.client_message_id = input.client_id
  ), saved AS (
    INSERT INTO messages (conversation_id, role, content, status, client_message_id)
    SELECT conv.id, 'user', input.content, 'complete', input.client_id FROM conv JOIN input ON input.conversation_id = conv.id
     WHERE NOT EXISTS (SELECT 1 FROM prior WHERE prior.conversation_id = conv.id)
    ON CONFLICT (conversation_id, client_message_id) WHERE client_message_id IS NOT NULL DO NOTHING
    RETURNING id, conversation_id
  ), answer AS (
    INSERT INTO messages (conversation_id, role, content, model_tag, status, owner_instance)
    SELECT saved.conversation_id, 'assistant', '', conv.model_tag, 'streaming', $5 FROM saved JOIN conv ON conv.id = saved.conversation_id
    RETURNING id, conversation_id
  ), titled AS (
    UPDATE conversations c SET title = input.title FROM conv JOIN input ON input.conversation_id = conv.id JOIN saved ON saved.conversation_id = conv.id
     WHERE c.id = conv.id AND c.title IS NULL AND input.title IS NOT NULL RETURNING c.id
  )
  SELECT conv.id::text AS conversation_id, saved.id AS message_id, answer.id AS answer_id, prior.id AS prior_id, conv.model_tag, conv.system_prompt, conv.temperature, conv.max_tokens, conv.history_version::text AS version
    FROM conv LEFT JOIN saved ON saved.conversation_id = conv.id LEFT JOIN answer ON answer.conversation_id = conv.id LEFT JOIN prior ON prior.conversation_id = conv.id`;

/**
 * Saves user messages, one per conversation, in one statement, each with its answer's
 * `streaming` row owned by `instanceId`; per request the saved message, or undefined when the
 * conversation is not that user's (or is gone).
 */
export async function saveUserMessages(db: Queryable, requests: readonly UserMessageRequest[], instanceId = ''): Promise<(SavedUserMessage | undefined)[]> {
  assertOnePerConversation(requests);
  const { rows } = await db.query<{ conversation_id: string; message_id: string | null; answer_id: string | null; prior_id: string | null; model_tag: string | null; version: string } & ConversationSettings>(
    SAVE_USER_MESSAGES_SQL,
    [requests.map((r) => r.conversationId), requests.map((r) => r.userId), requests.map((r) => r.content), requests.map((r) => r.title), instanceId, requests.map((r) => r.clientMessageId ?? null)],
    { operation: 'messages.save_user' },
  );
  return perWrite(requests, rows, (row): SavedUserMessage => {
    const conversation = { id: row.conversation_id, model_tag: row.model_tag, ...settingsOf(row) };
    if (row.message_id !== null && row.answer_id !== null) return { messageId: row.message_id, answerId: row.answer_id, conversation, version: row.version };
    // Stored already: found before the insert (prior), or by a retry racing this one (the
    // unique index refused the insert; its id is read again by the caller).
    return { messageId: row.prior_id ?? '', answerId: '', conversation, version: row.version, duplicate: true };
  });
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

/** How an answer ended, to store over its `streaming` row (the common case: replacing nothing). */
export interface AnswerFinal {
  conversationId: string;
  /** The answer's row. */
  id: string;
  /** The text not yet in the database (its flushed parts are joined before it). */
  content: string;
  tokenCount: number | null;
  modelTag: string | null;
  inferenceTimeMs: number;
  status: MessageStatus;
  failureCode: string | null;
  failureMessage: string | null;
}

/** An answer just stored. */
export interface InsertedAnswer {
  id: string;
  /** The history_version the write found (locked); undefined when the answer had been stored already. */
  version?: string;
}

// Ends answers, one per conversation, in one statement: lock the conversations, write each
// answer's parts and remaining text into its row with its final status, delete the parts. A row
// already ended (a retry after a commit whose answer was lost) is left as it is and reported;
// one the sweep marked interrupted while its instance could not reach the database is completed.
const FINISH_ANSWERS_SQL = `WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::integer[], $5::text[], $6::integer[], $7::text[], $8::text[], $9::text[])
      AS i(conversation_id, id, content, token_count, model_tag, inference_time_ms, status, failure_code, failure_message)
  ), conv AS (
    SELECT c.id, c.history_version FROM conversations c JOIN input ON c.id = input.conversation_id ORDER BY c.id FOR UPDATE OF c
  ), ended AS (
    UPDATE messages m SET
        content = m.content || COALESCE((SELECT string_agg(p.content, '' ORDER BY p.part) FROM message_parts p WHERE p.message_id = m.id), '') || input.content,
        token_count = input.token_count, model_tag = input.model_tag, inference_time_ms = input.inference_time_ms,
        status = input.status, failure_code = input.failure_code, failure_message = input.failure_message
      FROM input JOIN conv ON conv.id = input.conversation_id
     WHERE m.id = input.id AND (m.status = 'streaming' OR m.failure_code = 'interrupted')
    RETURNING m.id, m.conversation_id
  ), parts AS (
    DELETE FROM message_parts p USING ended WHERE p.message_id = ended.id
  )
  SELECT input.conversation_id::text AS conversation_id, m.id, (ended.id IS NOT NULL) AS ended, conv.history_version::text AS version
    FROM input JOIN conv ON conv.id = input.conversation_id JOIN messages m ON m.id = input.id LEFT JOIN ended ON ended.id = m.id`;

/** Ends answers, one per conversation, in one statement; undefined for an answer deleted meanwhile (its conversation too). */
export async function finishAnswers(db: Queryable, answers: readonly AnswerFinal[]): Promise<(InsertedAnswer | undefined)[]> {
  assertOnePerConversation(answers);
  const { rows } = await db.query<{ conversation_id: string; id: string; ended: boolean; version: string }>(
    FINISH_ANSWERS_SQL,
    [
      answers.map((a) => a.conversationId),
      answers.map((a) => a.id),
      answers.map((a) => a.content),
      answers.map((a) => a.tokenCount),
      answers.map((a) => a.modelTag),
      answers.map((a) => a.inferenceTimeMs),
      answers.map((a) => a.status),
      answers.map((a) => a.failureCode),
      answers.map((a) => a.failureMessage),
    ],
    { operation: 'messages.save_answer' },
  );
  return perWrite(answers, rows, (row) => (row.ended ? { id: row.id, version: row.version } : { id: row.id }));
}

/** A part of a streaming answer. */
export interface AnswerPart {
  messageId: string;
  part: number;
  content: string;
}

/**
 * Appends parts of streaming answers (one per answer) in one statement; false for an answer
 * deleted meanwhile. Idempotent: a part written again (a retry after a commit whose answer was
 * lost, say to a client-side deadline) is already there and changes nothing.
 */
export async function saveParts(db: Queryable, parts: readonly AnswerPart[]): Promise<boolean[]> {
  const { rows } = await db.query<{ message_id: string }>(
    `WITH input AS (
       SELECT * FROM unnest($1::uuid[], $2::integer[], $3::text[]) AS i(message_id, part, content)
     ), written AS (
       INSERT INTO message_parts (message_id, part, content)
       SELECT input.message_id, input.part, input.content FROM input JOIN messages m ON m.id = input.message_id
       ON CONFLICT (message_id, part) DO NOTHING
     )
     SELECT input.message_id::text AS message_id FROM input JOIN messages m ON m.id = input.message_id`,
    [parts.map((p) => p.messageId), parts.map((p) => p.part), parts.map((p) => p.content)],
    { operation: 'messages.append_part' },
  );
  const written = new Set(rows.map((r) => r.message_id));
  return parts.map((p) => written.has(p.messageId.toLowerCase()));
}

/** How {@link MessageWriter} groups writes. */
export interface MessageWriterOptions {
  /** This chat-api instance: the owner of the answers it streams (see answer-leases.ts). */
  instanceId?: string;
  /** Writes per statement at most. Default 100. */
  maxBatch?: number;
  /** Statements in flight per kind of write at most. Default 3 (three kinds: 9, below the pool's 10). */
  maxInFlight?: number;
  /** Told the size of every batch sent. */
  onBatch?(operation: 'save_user' | 'save_answer' | 'save_part', size: number): void;
}

/**
 * The writes every send makes — its user message with its answer's `streaming` row, the
 * answer's parts while it streams, then the answer's end — grouped into one statement per batch
 * ({@link GroupCommit}): alone when the database is idle, together under load.
 */
export class MessageWriter {
  readonly instanceId: string;
  private readonly users: GroupCommit<UserMessageRequest, SavedUserMessage | undefined>;
  private readonly answers: GroupCommit<AnswerFinal, InsertedAnswer | undefined>;
  private readonly parts: GroupCommit<AnswerPart, boolean>;

  constructor(
    readonly db: Database,
    options: MessageWriterOptions = {},
  ) {
    this.instanceId = options.instanceId ?? '';
    const maxBatch = options.maxBatch ?? 100;
    const maxInFlight = options.maxInFlight ?? 3;
    const key = (w: { conversationId: string }) => w.conversationId.toLowerCase();
    // Database down: every write would fail alone too; a refused value fails alone.
    const splitOnFailure = (err: unknown) => !(err instanceof DatabaseUnavailableError || isDatabaseUnavailable(err));
    const shared = { key, maxBatch, maxInFlight, splitOnFailure };
    this.users = new GroupCommit<UserMessageRequest, SavedUserMessage | undefined>({
      ...shared,
      run: (items) => saveUserMessages(db, items, this.instanceId),
      onBatch: (n) => options.onBatch?.('save_user', n),
    });
    this.answers = new GroupCommit<AnswerFinal, InsertedAnswer | undefined>({ ...shared, run: (items) => finishAnswers(db, items), onBatch: (n) => options.onBatch?.('save_answer', n) });
    this.parts = new GroupCommit<AnswerPart, boolean>({
      ...shared,
      key: (p) => p.messageId.toLowerCase(),
      run: (items) => saveParts(db, items),
      onBatch: (n) => options.onBatch?.('save_part', n),
    });
  }

  saveUserMessage(request: UserMessageRequest): Promise<SavedUserMessage | undefined> {
    return this.users.submit(request);
  }

  finishAnswer(answer: AnswerFinal): Promise<InsertedAnswer | undefined> {
    return this.answers.submit(answer);
  }

  savePart(part: AnswerPart): Promise<boolean> {
    return this.parts.submit(part);
  }
}
