import type { Database } from '@samosachaat/db';
import type { MessageStatus } from '../metrics.js';
import type { MessageWriter } from './message-writer.js';

// Answer persistence: the `streaming` row of an answer, its parts while it streams, its end.

/** An answer ready to be stored over its `streaming` row. */
export interface AnswerRecord {
  conversationId: string;
  /** The answer's row (inserted `streaming` when it started). */
  answerId: string;
  /** The user message it answers. */
  answersMessageId: string;
  /** The content not yet in the database (what was not flushed as parts). */
  content: string;
  tokenCount: number;
  modelTag: string | null;
  inferenceTimeMs: number;
  status: MessageStatus;
  /** Why the answer ended short: a stable code and a message for people (null when complete). */
  failureCode: string | null;
  failureMessage: string | null;
  /** Regenerate: remove the previous answer(s) to `answersMessageId` in the same transaction. */
  replacePrevious: boolean;
}

/**
 * Inserts the `streaming` row of a regenerated answer (a send's is inserted with its user
 * message); undefined when the conversation is gone.
 */
export async function startAnswerRow(db: Database, conversationId: string, instanceId: string, modelTag: string | null): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO messages (conversation_id, role, content, model_tag, status, owner_instance)
     SELECT id, 'assistant', '', $3, 'streaming', $2 FROM conversations WHERE id = $1 RETURNING id`,
    [conversationId, instanceId, modelTag],
    { operation: 'messages.start_answer' },
  );
  return rows[0]?.id;
}

/** Removes the `streaming` row of an answer that never started (inference over capacity). */
export async function dropAnswerRow(db: Database, answerId: string): Promise<void> {
  await db.query(`DELETE FROM messages WHERE id = $1 AND status = 'streaming'`, [answerId], { operation: 'messages.drop_answer' });
}

/**
 * Stores how an answer ended over its `streaming` row (its parts joined, in order, then the
 * rest); the database's trigger bumps the conversation's history_version and updated_at. Returns
 * the message id — with the history_version the write found, for the common case of an answer
 * replacing nothing — or undefined when the answer (its conversation) was deleted meanwhile.
 */
export async function persistAssistantMessage(writer: MessageWriter, answer: AnswerRecord): Promise<{ id: string; replaced: number; version?: string } | undefined> {
  const final = {
    conversationId: answer.conversationId,
    id: answer.answerId,
    content: answer.content,
    tokenCount: answer.tokenCount,
    modelTag: answer.modelTag,
    inferenceTimeMs: answer.inferenceTimeMs,
    status: answer.status,
    failureCode: answer.failureCode,
    failureMessage: answer.failureMessage,
  };
  if (!answer.replacePrevious) {
    // The common case: one statement, shared with the other answers ending now.
    const saved = await writer.finishAnswer(final);
    return saved && { id: saved.id, replaced: 0, version: saved.version };
  }
  return writer.db.transaction(async (tx) => {
    const { rows: found } = await tx.query('SELECT id FROM conversations WHERE id = $1 FOR UPDATE', [answer.conversationId], { operation: 'conversations.lock' });
    if (found.length === 0) return undefined;
    // The answers to this user message: assistant rows after it and before the next user
    // message, except the new answer's own row.
    const deleted = await tx.query(
      `DELETE FROM messages m
        WHERE m.conversation_id = $1 AND m.role = 'assistant' AND m.id <> $3::uuid
          AND m.seq > (SELECT seq FROM messages WHERE id = $2)
          AND NOT EXISTS (
            SELECT 1 FROM messages u
             WHERE u.conversation_id = $1 AND u.role = 'user'
               AND u.seq > (SELECT seq FROM messages WHERE id = $2)
               AND u.seq < m.seq)`,
      [answer.conversationId, answer.answersMessageId, answer.answerId],
      { operation: 'messages.delete_answer' },
    );
    const { rows } = await tx.query<{ id: string }>(
      `UPDATE messages SET content = content || COALESCE((SELECT string_agg(p.content, '' ORDER BY p.part) FROM message_parts p WHERE p.message_id = $1), '') || $2,
              token_count = $3, model_tag = $4, inference_time_ms = $5, status = $6, failure_code = $7, failure_message = $8
        WHERE id = $1 AND (status = 'streaming' OR failure_code = 'interrupted') RETURNING id`,
      [answer.answerId, answer.content, answer.tokenCount, answer.modelTag, answer.inferenceTimeMs, answer.status, answer.failureCode, answer.failureMessage],
      { operation: 'messages.join_parts' },
    );
    if (rows[0] === undefined) {
      // Ended already (a retry after a commit whose answer was lost), or deleted.
      const { rows: still } = await tx.query<{ id: string }>('SELECT id FROM messages WHERE id = $1', [answer.answerId], { operation: 'messages.by_id' });
      return still[0] && { id: still[0].id, replaced: deleted.rowCount };
    }
    await tx.query('DELETE FROM message_parts WHERE message_id = $1', [answer.answerId], { operation: 'messages.delete_parts' });
    return { id: rows[0].id, replaced: deleted.rowCount };
  });
}
