/**
 * Conversation ids on their way into URLs. An id read from the address bar is whatever the
 * person (or a link someone sent them) typed: `/c/x%2F..%2F..%2Fauth%2Flogout%23` decodes to
 * a path that, pasted into `/api/conversations/<id>/messages`, would make the page POST
 * `/auth/logout`. Ids are checked to be UUIDs before any call, and always encoded.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a UUID (any version), the only shape a conversation id has. */
export function isConversationId(value: string | null | undefined): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** The API path of conversation `id` (plus `suffix`, e.g. `/messages`); throws on a non-UUID. */
export function conversationApiPath(id: string, suffix: '' | '/messages' | '/regenerate' = ''): string {
  if (!isConversationId(id)) throw new Error(`not a conversation id: ${JSON.stringify(String(id).slice(0, 40))}`);
  return `/api/conversations/${encodeURIComponent(id)}${suffix}`;
}

/** The stop endpoint of answer `messageId` in conversation `id`; both must be UUIDs. */
export function stopAnswerApiPath(id: string, messageId: string): string {
  if (!isConversationId(messageId)) throw new Error(`not a message id: ${JSON.stringify(String(messageId).slice(0, 40))}`);
  return `${conversationApiPath(id)}/messages/${encodeURIComponent(messageId)}/stop`;
}

/** The page of conversation `id` (`/c/<id>`), encoded. */
export function conversationPagePath(id: string): string {
  return `/c/${encodeURIComponent(id)}`;
}

/**
 * The conversation a page path names: its id when the path is `/c/<uuid>`, `null` for any
 * other path, `'invalid'` for `/c/<anything else>` (shown as "not found", never requested).
 */
export function conversationIdFromPath(pathname: string): string | null | 'invalid' {
  const match = /^\/c\/([^/]+)$/.exec(pathname);
  if (!match?.[1]) return pathname.startsWith('/c/') ? 'invalid' : null;
  let id: string;
  try {
    id = decodeURIComponent(match[1]);
  } catch {
    return 'invalid';
  }
  return isConversationId(id) ? id.toLowerCase() : 'invalid';
}
