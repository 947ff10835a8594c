import type { Database, Queryable } from '@samosachaat/db';
import { findConversation, type Conversation } from '../conversations/conversation-store.js';
import { chatError } from '../errors.js';
import type { MessageStatus } from '../metrics.js';
import { selectHistory, type ChatTurn, type HistoryCandidate, type HistoryLimits } from './history.js';

/** Characters of the first user message that become the conversation's title. */
export const TITLE_CHARS = 80;

/** The title a first message gives its conversation: whitespace collapsed, first 80 characters. */
export function titleFromMessage(content: string): string | null {
  const flat = content.replace(/\s+/g, ' ').trim();
  if (flat.length === 0) return null;
  return Array.from(flat).slice(0, TITLE_CHARS).join('');
}

/** What an answer is generated from. */
export interface AnswerContext {
  conversation: Conversation;
  /** The user message being answered. */
  userMessageId: string;
  /** The window sent to inference, oldest first, ending with the message being answered. */
  history: ChatTurn[];
  estimatedTokens: number;
}

// Failed answers (status 'error') are empty: they are shown to the user but never sent back
// to the model. `$2` is the message being answered; nothing after it is history.
const HISTORY_SQL = `SELECT role, content, token_count FROM messages
  WHERE conversation_id = $1 AND status <> 'error'
    AND seq <= (SELECT seq FROM messages WHERE id = $2)
  ORDER BY seq DESC LIMIT $3`;

async function loadHistory(tx: Queryable, conversationId: string, answeringId: string, limits: HistoryLimits) {
  const { rows } = await tx.query<HistoryCandidate>(HISTORY_SQL, [conversationId, answeringId, limits.maxMessages], { operation: 'messages.history' });
  return selectHistory(rows, limits);
}

/**
 * Saves the user's message — committed before any answer streams, so it is never lost —
 * gives an untitled conversation its title, and loads the history window. The conversation
 * row is locked meanwhile, so two sends to one conversation cannot interleave.
 */
export async function saveUserMessage(db: Database, userId: string, conversationId: string, content: string, limits: HistoryLimits): Promise<AnswerContext> {
  return db.transaction(async (tx) => {
    const conversation = await findConversation(tx, userId, conversationId, { forUpdate: true });
    if (!conversation) throw chatError('CHAT_CONVERSATION_NOT_FOUND');
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO messages (conversation_id, role, content, status) VALUES ($1, 'user', $2, 'complete') RETURNING id`,
      [conversation.id, content],
      { operation: 'messages.insert' },
    );
    const userMessageId = (rows[0] as { id: string }).id;
    await tx.query('UPDATE conversations SET title = COALESCE(title, $2), updated_at = now() WHERE id = $1', [conversation.id, titleFromMessage(content)], {
      operation: 'conversations.touch',
    });
    const { turns, estimatedTokens } = await loadHistory(tx, conversation.id, userMessageId, limits);
    return { conversation, userMessageId, history: turns, estimatedTokens };
  });
}

/**
 * Prepares a regeneration: the last user message and the history up to it (the answer being
 * replaced is left out). Nothing is deleted here: the old answer is swapped for the new one
 * in one transaction when the new one is persisted. 409 when there is no user message.
 */
export async function prepareRegeneration(db: Database, userId: string, conversationId: string, limits: HistoryLimits): Promise<AnswerContext> {
  return db.transaction(async (tx) => {
    const conversation = await findConversation(tx, userId, conversationId, { forUpdate: true });
    if (!conversation) throw chatError('CHAT_CONVERSATION_NOT_FOUND');
    const { rows } = await tx.query<{ id: string }>(
      `SELECT id FROM messages WHERE conversation_id = $1 AND role = 'user' ORDER BY seq DESC LIMIT 1`,
      [conversation.id],
      { operation: 'messages.last_user' },
    );
    const last = rows[0];
    if (!last) throw chatError('CHAT_NOTHING_TO_REGENERATE');
    const { turns, estimatedTokens } = await loadHistory(tx, conversation.id, last.id, limits);
    return { conversation, userMessageId: last.id, history: turns, estimatedTokens };
  });
}

/** An answer ready to be stored. */
export interface AnswerRecord {
  conversationId: string;
  /** The user message it answers. */
  answersMessageId: string;
  content: string;
  tokenCount: number;
  modelTag: string | null;
  inferenceTimeMs: number;
  status: MessageStatus;
  /** Regenerate: remove the previous answer(s) to `answersMessageId` in the same transaction. */
  replacePrevious: boolean;
}

/**
 * Stores an assistant answer and bumps the conversation's updated_at, in one transaction.
 * Returns the new message id, or undefined when the conversation was deleted meanwhile.
 */
export async function persistAssistantMessage(db: Database, answer: AnswerRecord): Promise<{ id: string; replaced: number } | undefined> {
  return db.transaction(async (tx) => {
    const { rows: found } = await tx.query('SELECT id FROM conversations WHERE id = $1 FOR UPDATE', [answer.conversationId], { operation: 'conversations.lock' });
    if (found.length === 0) return undefined;
    let replaced = 0;
    if (answer.replacePrevious) {
      // The answers to this user message: assistant rows after it and before the next user message.
      const deleted = await tx.query(
        `DELETE FROM messages m
          WHERE m.conversation_id = $1 AND m.role = 'assistant'
            AND m.seq > (SELECT seq FROM messages WHERE id = $2)
            AND NOT EXISTS (
              SELECT 1 FROM messages u
               WHERE u.conversation_id = $1 AND u.role = 'user'
                 AND u.seq > (SELECT seq FROM messages WHERE id = $2)
                 AND u.seq < m.seq)`,
        [answer.conversationId, answer.answersMessageId],
        { operation: 'messages.delete_answer' },
      );
      replaced = deleted.rowCount;
    }
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO messages (conversation_id, role, content, token_count, model_tag, inference_time_ms, status)
       VALUES ($1, 'assistant', $2, $3, $4, $5, $6) RETURNING id`,
      [answer.conversationId, answer.content, answer.tokenCount, answer.modelTag, answer.inferenceTimeMs, answer.status],
      { operation: 'messages.insert' },
    );
    await tx.query('UPDATE conversations SET updated_at = now() WHERE id = $1', [answer.conversationId], { operation: 'conversations.touch' });
    return { id: (rows[0] as { id: string }).id, replaced };
  });
}
