import type { Queryable } from '@samosachaat/db';
import { AppError } from '@samosachaat/service-kit';
import { COLUMNS, toConversation, type Conversation, type ConversationRow } from './conversation-store.js';
import type { ListPosition } from './cursor.js';

// Search over a user's conversations: titles and message text, PostgreSQL full-text search
// with the 'simple' configuration (migration 0008_search_and_settings; services/chat-api/README.md).

/** Characters of a message that are indexed and searched (the index of migration 0008). */
export const SEARCHED_CHARS = 100_000;
/** Bounds of a search query. */
export const MAX_QUERY_CHARS = 200;
export const MAX_QUERY_WORDS = 16;

// Marks around a matched word inside ts_headline's output: control characters that
// chat text does not contain, turned into offsets before the snippet leaves chat-api.
const START = '\u0001';
const STOP = '\u0002';

/** A conversation that matched, with where it matched. */
export interface SearchHit {
  conversation: Conversation;
  /** The newest message that matched, or null when only the title did. */
  message: { id: string; role: string; created_at: string } | null;
  /** A short excerpt around the match (plain text), or the title when only it matched. */
  snippet: string;
  /** [start, end) offsets (UTF-16, as in JavaScript) of matched words in `snippet`. */
  highlights: Array<[number, number]>;
}

/**
 * The words of a query, as the check before the database sees them. A query must have a
 * letter or digit to search for; punctuation alone is a 400, not an empty result.
 */
export function validateSearchQuery(raw: string | undefined): string {
  const q = (raw ?? '').trim();
  if (q.length === 0) throw new AppError('VALIDATION_FAILED', 'q is required: the words to search for', 400, true);
  if (q.length > MAX_QUERY_CHARS) throw new AppError('VALIDATION_FAILED', `q is too long: at most ${MAX_QUERY_CHARS} characters`, 400, true);
  if (q.includes('\u0000') || q.includes(START) || q.includes(STOP)) throw new AppError('VALIDATION_FAILED', 'q contains control characters', 400, true);
  const words = q.match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length === 0) throw new AppError('VALIDATION_FAILED', 'q has no word to search for: give at least one letter or digit', 400, true);
  if (words.length > MAX_QUERY_WORDS) throw new AppError('VALIDATION_FAILED', `q has too many words: at most ${MAX_QUERY_WORDS}`, 400, true);
  return q;
}

/** Splits ts_headline's marked output into plain text and highlight offsets. */
export function parseHeadline(marked: string): { snippet: string; highlights: Array<[number, number]> } {
  let snippet = '';
  const highlights: Array<[number, number]> = [];
  let open = -1;
  for (const ch of marked) {
    if (ch === START) open = snippet.length;
    else if (ch === STOP) {
      if (open >= 0 && snippet.length > open) highlights.push([open, snippet.length]);
      open = -1;
    } else snippet += ch;
  }
  return { snippet, highlights };
}

// The query's own words, as the 'simple' parser splits them (so "3.14" or "it's" are split as
// in the index), each a prefix match ("samos" finds "samosa"), all of them required. Lexemes
// are quoted for to_tsquery: a backslash and a quote are escaped.
const QUERY_CTE = `q AS (
  SELECT to_tsquery('simple', string_agg('''' || replace(replace(lexeme, '\\', '\\\\'), '''', '''''') || ''':*', ' & ')) AS query
    FROM unnest(to_tsvector('simple', $2::text))
)`;
const HEADLINE_OPTIONS = `'MaxFragments=1, MaxWords=24, MinWords=8, ShortWord=1, FragmentDelimiter=" … ", StartSel=' || chr(1) || ', StopSel=' || chr(2)`;
const POSITION = `to_char(c.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS position`;
const CONVERSATION_COLUMNS = COLUMNS.split(', ')
  .map((column) => `c.${column}`)
  .join(', ');

type HitRow = ConversationRow & {
  position: string;
  message_id: string | null;
  message_role: string | null;
  message_created_at: Date | string | null;
  headline: string | null;
  title_headline: string | null;
};

/**
 * One page of the user's conversations whose title or messages contain every word of `query`
 * (as word prefixes), in the list's order (updated_at, then id, newest first). Each hit names
 * the newest matching message and an excerpt around the match.
 */
export async function searchConversations(
  db: Queryable,
  userId: string,
  query: string,
  page: { limit: number; after?: ListPosition },
): Promise<{ hits: SearchHit[]; next: ListPosition | undefined }> {
  const params: unknown[] = [userId, query, page.limit + 1];
  let keyset = '';
  if (page.after) {
    params.push(page.after.updatedAt, page.after.id);
    keyset = `AND (c.updated_at, c.id) < ($4::timestamp AT TIME ZONE 'UTC', $5::uuid)`;
  }
  const { rows } = await db.query<HitRow>(
    // The matching messages are found through the index of migration 0008 (the query is an
    // init plan, so the planner can use it), then the newest per conversation; computing the
    // text search per message of every conversation instead costs a scan of the user's text.
    `WITH ${QUERY_CTE},
     matched AS (
       SELECT DISTINCT ON (m.conversation_id) m.conversation_id, m.id, m.role, m.created_at, m.seq
         FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE c.user_id = $1 ${keyset} AND to_tsvector('simple', left(m.content, ${SEARCHED_CHARS})) @@ (SELECT query FROM q)
        ORDER BY m.conversation_id, m.seq DESC
     ), page AS (
       SELECT ${CONVERSATION_COLUMNS}, ${POSITION}, hit.id AS message_id, hit.role AS message_role, hit.created_at AS message_created_at
         FROM conversations c LEFT JOIN matched hit ON hit.conversation_id = c.id
        WHERE c.user_id = $1 ${keyset}
          AND (hit.id IS NOT NULL OR to_tsvector('simple', left(COALESCE(c.title, ''), 1000)) @@ (SELECT query FROM q))
        ORDER BY c.updated_at DESC, c.id DESC LIMIT $3
     )
     SELECT page.*,
            CASE WHEN page.message_id IS NOT NULL THEN
              (SELECT ts_headline('simple', left(m.content, ${SEARCHED_CHARS}), q.query, ${HEADLINE_OPTIONS}) FROM messages m, q WHERE m.id = page.message_id) END AS headline,
            (SELECT ts_headline('simple', COALESCE(page.title, ''), q.query, 'HighlightAll=true, StartSel=' || chr(1) || ', StopSel=' || chr(2)) FROM q) AS title_headline
       FROM page ORDER BY page.updated_at DESC, page.id DESC`,
    params,
    { operation: 'conversations.search' },
  );
  const pageRows = rows.slice(0, page.limit);
  const last = pageRows[pageRows.length - 1];
  const hits = pageRows.map((row): SearchHit => {
    const { snippet, highlights } = parseHeadline(row.headline ?? row.title_headline ?? '');
    return {
      conversation: toConversation(row),
      message:
        row.message_id === null
          ? null
          : { id: row.message_id, role: row.message_role ?? '', created_at: new Date(row.message_created_at as Date | string).toISOString() },
      snippet,
      highlights,
    };
  });
  return { hits, next: rows.length > page.limit && last ? { updatedAt: last.position, id: last.id } : undefined };
}
