import type { Database } from '@samosachaat/db';
import type { MessageStatus } from '../metrics.js';
import type { MessageWriter } from './message-writer.js';

// Answer persistence: the parts of a streaming answer and the stored answer itself.

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
