import { settingsOf, type ConversationSettings } from '../conversations/settings.js';
import type { Database, Queryable } from '@samosachaat/db';
import { MESSAGE_CONTENT } from '../conversations/conversation-store.js';
import type { CachedConversation, HistoryCache } from './history-cache.js';
import { selectHistory, type HistoryCandidate, type HistoryLimits } from './history.js';
import type { SavedUserMessage } from './message-writer.js';

// History queries: what the database holds of a conversation that inference is sent.

// Failed answers (status 'error') are empty: they are shown to the user but never sent back
// to the model. Answers still streaming are not history yet (a second send while one streams
// is answered without it). Partials — stopped by the user ('stopped'), cut by a failure or
// interrupted by a crash ('incomplete') — are sent as they are: the model sees what the user
// saw. `$2` is the message being answered; nothing after it is history.
const HISTORY_SQL = `SELECT role, ${MESSAGE_CONTENT} AS content, token_count FROM messages
  WHERE conversation_id = $1 AND status NOT IN ('error', 'streaming')
    AND seq <= (SELECT seq FROM messages WHERE id = $2)
  ORDER BY seq DESC LIMIT $3`;

export async function loadHistory(tx: Queryable, conversationId: string, answeringId: string, limits: HistoryLimits) {
  const { rows } = await tx.query<HistoryCandidate>(HISTORY_SQL, [conversationId, answeringId, limits.maxMessages], { operation: 'messages.history' });
  return selectHistory(rows, limits);
}

// A conversation that is the user's, its history_version and its newest `$3` messages history
// may use, newest first — one snapshot, so the version is that history's.
const CONVERSATION_HISTORY_SQL = `SELECT c.model_tag, c.system_prompt, c.temperature, c.max_tokens, c.history_version::text AS version,
         h.id AS h_id, h.role AS h_role, h.content AS h_content, h.token_count AS h_token_count
    FROM conversations c LEFT JOIN LATERAL (
      SELECT messages.id, messages.role, ${MESSAGE_CONTENT} AS content, messages.token_count, messages.seq FROM messages
       WHERE messages.conversation_id = c.id AND messages.status NOT IN ('error', 'streaming')
       ORDER BY messages.seq DESC LIMIT $3) h ON true
   WHERE c.id = $1 AND c.user_id = $2
   ORDER BY h.seq DESC`;

type ConversationHistoryRow = ConversationSettings & {
  model_tag: string | null;
  version: string;
  h_id: string | null;
  h_role: HistoryCandidate['role'] | null;
  h_content: string | null;
  h_token_count: number | null;
};

/** What the database holds of a conversation for a send; undefined when it is not the user's. */
export async function readConversation(db: Queryable, userId: string, conversationId: string, depth: number) {
  const { rows } = await db.query<ConversationHistoryRow>(CONVERSATION_HISTORY_SQL, [conversationId, userId, depth], { operation: 'messages.history' });
  const first = rows[0];
  if (!first) return undefined;
  const messages = rows.flatMap((r) => (r.h_id === null ? [] : [{ id: r.h_id, candidate: { role: r.h_role, content: r.h_content ?? '', token_count: r.h_token_count } as HistoryCandidate }]));
  const cached: CachedConversation = { userId, modelTag: first.model_tag, settings: settingsOf(first), version: first.version, recent: messages.map((m) => m.candidate) };
  return { cached, ids: messages.map((m) => m.id) };
}

/** The history before a just-saved message, as the database holds it now; the cache follows it. */
export async function historyBefore(db: Database, cache: HistoryCache, userId: string, saved: SavedUserMessage): Promise<HistoryCandidate[]> {
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
