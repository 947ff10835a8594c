-- 0008_search_and_settings: search over a user's conversations, and settings per conversation.
--
-- Search (GET /api/conversations/search, services/chat-api/README.md) matches words of a
-- conversation's title and of its messages' text with PostgreSQL full-text search, built in
-- on PostgreSQL and PGlite alike (no extension). A tsvector holds at most 1 MB, so an index on
-- a whole message would make the write of a long answer fail: an answer must never be lost
-- to its search index. Only the first 100,000 characters of a message are indexed (at most
-- 400 kB of UTF-8, far below the limit whatever the text); the queries use the very same
-- expressions, so the planner can use these indexes. The 'simple' configuration neither
-- stems nor drops stop words: a search finds the words as typed, in any language.
CREATE INDEX messages_search_idx ON messages USING gin (to_tsvector('simple', left(content, 100000)));
CREATE INDEX conversations_title_search_idx ON conversations USING gin (to_tsvector('simple', left(COALESCE(title, ''), 1000)));

-- Settings per conversation, sent to inference with every send and regenerate unless the
-- request names its own: a system prompt, a temperature and a cap on the answer's tokens.
-- NULL means inference's default. The bounds are the API's (chat-api validates them first,
-- with a 400 naming the field); the checks keep other writers to them.
ALTER TABLE conversations ADD COLUMN system_prompt text CHECK (char_length(system_prompt) <= 8000);
ALTER TABLE conversations ADD COLUMN temperature double precision CHECK (temperature >= 0 AND temperature <= 2);
ALTER TABLE conversations ADD COLUMN max_tokens integer CHECK (max_tokens >= 1 AND max_tokens <= 32768);
