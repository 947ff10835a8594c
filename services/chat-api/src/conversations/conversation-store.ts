import type { Queryable } from '@samosachaat/db';
import type { MessageStatus } from '../metrics.js';
import { isUuid, type ListPosition } from './cursor.js';
import type { ConversationSettings } from './settings.js';

/** A conversation as the API shows it, with its settings (./settings.ts). */
export interface Conversation extends ConversationSettings {
  id: string;
  title: string | null;
  model_tag: string | null;
  favorited: boolean;
  created_at: string;
  updated_at: string;
}

/** A message as the API shows it. */
export interface Message {
  id: string;
  role: 'user' | 'assistant' | 'system';
  content: string;
  token_count: number | null;
  model_tag: string | null;
  inference_time_ms: number | null;
  status: MessageStatus;
  /** Why an answer ended short: a stable code (`interrupted`, `answer_not_saved`, `timeout`, …), or null. */
  failure_code: string | null;
  /** The same, for people, or null. */
  failure_message: string | null;
  created_at: string;
}

export type ConversationRow = Omit<Conversation, 'created_at' | 'updated_at'> & { created_at: Date | string; updated_at: Date | string };
type MessageRow = Omit<Message, 'created_at'> & { created_at: Date | string };

/** Both drivers hand back Date for timestamptz; a string is accepted too, for safety. */
function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

/** A conversations row as the API shows it. */
export function toConversation(row: ConversationRow): Conversation {
  return {
    id: row.id,
    title: row.title,
    model_tag: row.model_tag,
    favorited: row.favorited,
    system_prompt: row.system_prompt ?? null,
    temperature: row.temperature ?? null,
    max_tokens: row.max_tokens ?? null,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

/** Maps a messages row to its API shape. */
export function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    role: row.role,
    content: row.content,
    token_count: row.token_count,
    model_tag: row.model_tag,
    inference_time_ms: row.inference_time_ms,
    status: row.status,
    failure_code: row.failure_code ?? null,
    failure_message: row.failure_message ?? null,
    created_at: iso(row.created_at),
  };
}

/** The columns of a conversation the API shows. */
export const COLUMNS = 'id, title, model_tag, favorited, system_prompt, temperature, max_tokens, created_at, updated_at';
/**
 * A message's text as readers see it: an answer still streaming has its parts in message_parts
 * (see flushAnswerPart) until it ends, so they are joined in here.
 */
export const MESSAGE_CONTENT = `CASE WHEN messages.status IN ('incomplete', 'streaming')
    THEN messages.content || COALESCE((SELECT string_agg(p.content, '' ORDER BY p.part) FROM message_parts p WHERE p.message_id = messages.id), '')
    ELSE messages.content END`;
export const MESSAGE_COLUMNS = `id, role, ${MESSAGE_CONTENT} AS content, token_count, model_tag, inference_time_ms, status, failure_code, failure_message, created_at`;
// The exact sort key, in UTC with microseconds, for the next page's cursor.
const POSITION = `to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS position`;

/** One page of a user's conversations, newest first (updated_at, then id). */
export async function listConversations(
  db: Queryable,
  userId: string,
  page: { limit: number; after?: ListPosition },
): Promise<{ conversations: Conversation[]; next: ListPosition | undefined }> {
  // One row more than asked tells whether another page exists.
  const { rows } = page.after
    ? await db.query<ConversationRow & { position: string }>(
        `SELECT ${COLUMNS}, ${POSITION} FROM conversations
          WHERE user_id = $1 AND (updated_at, id) < ($2::timestamp AT TIME ZONE 'UTC', $3::uuid)
          ORDER BY updated_at DESC, id DESC LIMIT $4`,
        [userId, page.after.updatedAt, page.after.id, page.limit + 1],
        { operation: 'conversations.list' },
      )
    : await db.query<ConversationRow & { position: string }>(
        `SELECT ${COLUMNS}, ${POSITION} FROM conversations WHERE user_id = $1 ORDER BY updated_at DESC, id DESC LIMIT $2`,
        [userId, page.limit + 1],
        { operation: 'conversations.list' },
      );
  const pageRows = rows.slice(0, page.limit);
  const last = pageRows[pageRows.length - 1];
  return {
    conversations: pageRows.map(toConversation),
    next: rows.length > page.limit && last ? { updatedAt: last.position, id: last.id } : undefined,
  };
}

/** Creates a conversation owned by `userId`. */
export async function createConversation(db: Queryable, userId: string, fields: { title?: string; model_tag?: string | null } & Partial<ConversationSettings>): Promise<Conversation> {
  const { rows } = await db.query<ConversationRow>(
    `INSERT INTO conversations (user_id, title, model_tag, system_prompt, temperature, max_tokens) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
    [userId, fields.title ?? null, fields.model_tag ?? null, fields.system_prompt ?? null, fields.temperature ?? null, fields.max_tokens ?? null],
    { operation: 'conversations.create' },
  );
  return toConversation(rows[0] as ConversationRow);
}

/**
 * The user's conversation `id`, or undefined when it is missing, someone else's, or `id` is
 * not a UUID: the three are indistinguishable to the caller on purpose. `forUpdate` locks
 * the row inside a transaction so concurrent sends to one conversation queue up.
 */
export async function findConversation(db: Queryable, userId: string, id: string, options: { forUpdate?: boolean } = {}): Promise<Conversation | undefined> {
  if (!isUuid(id)) return undefined;
  const { rows } = await db.query<ConversationRow>(
    `SELECT ${COLUMNS} FROM conversations WHERE id = $1 AND user_id = $2${options.forUpdate ? ' FOR UPDATE' : ''}`,
    [id, userId],
    { operation: 'conversations.get' },
  );
  return rows[0] ? toConversation(rows[0]) : undefined;
}

/** Every message of a conversation, oldest first. Callers check ownership first. */
export async function listMessages(db: Queryable, conversationId: string): Promise<Message[]> {
  const { rows } = await db.query<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 ORDER BY seq`,
    [conversationId],
    { operation: 'messages.list' },
  );
  return rows.map(toMessage);
}

/** The fields a PUT may change. */
export interface ConversationChanges extends Partial<ConversationSettings> {
  title?: string;
  favorited?: boolean;
  model_tag?: string | null;
}

/** The columns a PUT may change. */
export const CHANGEABLE = ['title', 'favorited', 'model_tag', 'system_prompt', 'temperature', 'max_tokens'] as const;

/**
 * Applies `changes` to the user's conversation; undefined when not theirs. updated_at, the
 * list's order and its "updated" time, is left alone: it is the time of the conversation's
 * last message (migration 0004's trigger), so a rename or a star does not move it.
 */
export async function updateConversation(db: Queryable, userId: string, id: string, changes: ConversationChanges): Promise<Conversation | undefined> {
  if (!isUuid(id)) return undefined;
  const sets: string[] = [];
  const params: unknown[] = [id, userId];
  for (const column of CHANGEABLE) {
    if (changes[column] === undefined) continue;
    params.push(changes[column]);
    sets.push(`${column} = $${params.length}`);
  }
  const { rows } = await db.query<ConversationRow>(
    `UPDATE conversations SET ${sets.join(', ')} WHERE id = $1 AND user_id = $2 RETURNING ${COLUMNS}`,
    params,
    { operation: 'conversations.update' },
  );
  return rows[0] ? toConversation(rows[0]) : undefined;
}

/** Deletes the user's conversation (its messages go with it); false when not theirs. */
export async function deleteConversation(db: Queryable, userId: string, id: string): Promise<boolean> {
  if (!isUuid(id)) return false;
  const { rowCount } = await db.query('DELETE FROM conversations WHERE id = $1 AND user_id = $2', [id, userId], { operation: 'conversations.delete' });
  return rowCount > 0;
}
