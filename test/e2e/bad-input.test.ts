/**
 * The bad-input matrix, end to end: the whole platform (`samosachaat start`) receives malformed
 * JSON, wrong types, missing and unknown fields, oversized bodies and contents, non-UUID ids,
 * out-of-range parameters and wrong or missing keys on every public endpoint of chat-api,
 * auth and inference. Each row asserts the exact status, the exact error code (the
 * `{"error":{"code","message","trace_id"}}` envelope, or OpenAI's error shape on
 * `/v1/chat/completions`), a message naming the problem, and that no database row changed.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { openDbRows, type DbRows, type RowSnapshot } from '../support/db-rows.js';
import { startPlatform, type Platform } from '../support/platform.js';
import { scaled } from '../support/timeouts.js';

interface Ctx {
  urls: Platform['urls'];
  /** A non-admin user's access token. */
  user: string;
  admin: string;
  internalKey: string;
  /** A conversation of `user` without messages. */
  conv: string;
}

type Service = 'chat' | 'auth' | 'inference';

interface Row {
  service: Service;
  /** What is wrong with the request. */
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** `:conv` is replaced by the context's conversation id. */
  path: string;
  /** Default: the user's bearer token on chat-api, nothing elsewhere. */
  headers?: (c: Ctx) => Record<string, string>;
  /** Sent as JSON (a function is called with the context first). */
  json?: unknown;
  /** Sent as is. */
  raw?: string;
  /** Default application/json when there is a body. */
  contentType?: string;
  status: number;
  code: string;
  /** The message must name the problem. */
  message: RegExp;
  /** envelope (default), validate (`{valid:false,error}` of POST /auth/validate), openai. */
  shape?: 'envelope' | 'validate' | 'openai';
  /** OpenAI shape: `error.type` and `error.param`. */
  type?: string;
  param?: string | null;
  /** A service bug: the row asserts the right behaviour and is reported, not hidden. */
  todo?: string;
}

type RowSpec = Omit<Row, 'service'>;

const user = (c: Ctx) => ({ authorization: `Bearer ${c.user}` });
const admin = (c: Ctx) => ({ authorization: `Bearer ${c.admin}` });
const noAuth = () => ({});
const garbageBearer = () => ({ authorization: 'Bearer not-a-jwt' });
const key = (c: Ctx) => ({ 'x-internal-api-key': c.internalKey });
const wrongKey = (c: Ctx) => ({ 'x-internal-api-key': `${c.internalKey.slice(0, -4)}XXXX` });
const bearerKey = (c: Ctx) => ({ authorization: `Bearer ${c.internalKey}` });

/** The same token with one character of its signature changed. */
function tampered(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const i = Math.floor(signature.length / 2);
  return `${header}.${payload}.${signature.slice(0, i)}${signature[i] === 'A' ? 'B' : 'A'}${signature.slice(i + 1)}`;
}

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const MiB = 1024 * 1024;
const CHAT_OVER_LIMIT = 'x'.repeat(MiB + 16); // chat-api's body limit is 1 MiB with the default MAX_MESSAGE_CHARS
const AUTH_OVER_LIMIT = 'x'.repeat(16 * 1024 + 16); // auth's body limit is 16 KiB
// Inference runs with BODY_LIMIT_BYTES at 256 KiB here: with the 4 MiB default, the 413 races the
// client's upload (the server closes the connection while the body is still being written: EPIPE).
const INFERENCE_BODY_LIMIT = 256 * 1024;
const INFERENCE_OVER_LIMIT = 'x'.repeat(INFERENCE_BODY_LIMIT + 16);
const msg = (content: unknown) => ({ messages: [{ role: 'user', content }] });
const hi = msg('hi');

const chatRows: Row[] = (
  [
  // GET /api/conversations
  { name: 'no Authorization header', method: 'GET', path: '/api/conversations', headers: noAuth, status: 401, code: 'CHAT_UNAUTHENTICATED', message: /Authorization/ },
  { name: 'Basic instead of Bearer', method: 'GET', path: '/api/conversations', headers: () => ({ authorization: 'Basic dXNlcjpwYXNz' }), status: 401, code: 'CHAT_UNAUTHENTICATED', message: /Bearer/ },
  { name: 'a bearer that is not a JWT', method: 'GET', path: '/api/conversations', headers: garbageBearer, status: 401, code: 'CHAT_INVALID_TOKEN', message: /token/ },
  { name: 'a token with a tampered signature', method: 'GET', path: '/api/conversations', headers: (c) => ({ authorization: `Bearer ${tampered(c.user)}` }), status: 401, code: 'CHAT_INVALID_TOKEN', message: /token/ },
  { name: 'limit=0', method: 'GET', path: '/api/conversations?limit=0', status: 400, code: 'VALIDATION_FAILED', message: /limit/ },
  { name: 'limit=101', method: 'GET', path: '/api/conversations?limit=101', status: 400, code: 'VALIDATION_FAILED', message: /limit/ },
  { name: 'limit=abc', method: 'GET', path: '/api/conversations?limit=abc', status: 400, code: 'VALIDATION_FAILED', message: /limit/ },
  { name: 'limit=-5', method: 'GET', path: '/api/conversations?limit=-5', status: 400, code: 'VALIDATION_FAILED', message: /limit/ },
  { name: 'cursor garbage', method: 'GET', path: '/api/conversations?cursor=garbage', status: 400, code: 'CHAT_INVALID_CURSOR', message: /cursor/ },
  { name: 'cursor empty', method: 'GET', path: '/api/conversations?cursor=', status: 400, code: 'CHAT_INVALID_CURSOR', message: /cursor/ },
  { name: 'cursor of valid base64url JSON with a non-UUID id', method: 'GET', path: `/api/conversations?cursor=${cursorOf({ u: '2026-01-01T00:00:00.000000', i: 'nope' })}`, status: 400, code: 'CHAT_INVALID_CURSOR', message: /cursor/ },
  { name: 'cursor with a millisecond timestamp', method: 'GET', path: `/api/conversations?cursor=${cursorOf({ u: '2026-01-01T00:00:00.000', i: '00000000-0000-4000-8000-000000000000' })}`, status: 400, code: 'CHAT_INVALID_CURSOR', message: /cursor/ },
  { name: 'cursor over 256 characters', method: 'GET', path: `/api/conversations?cursor=${'a'.repeat(257)}`, status: 400, code: 'VALIDATION_FAILED', message: /cursor/ },
  { name: 'cursor of a well-formed but impossible date (2026-13-45)', method: 'GET', path: `/api/conversations?cursor=${cursorOf({ u: '2026-13-45T10:00:00.000000', i: '00000000-0000-4000-8000-000000000000' })}`, status: 400, code: 'CHAT_INVALID_CURSOR', message: /cursor/ },
  { name: 'cursor in year 0000', method: 'GET', path: `/api/conversations?cursor=${cursorOf({ u: '0000-01-01T00:00:00.000000', i: '00000000-0000-4000-8000-000000000000' })}`, status: 400, code: 'CHAT_INVALID_CURSOR', message: /cursor/ },
  // POST /api/conversations
  { name: 'no Authorization header', method: 'POST', path: '/api/conversations', headers: noAuth, json: { title: 'x' }, status: 401, code: 'CHAT_UNAUTHENTICATED', message: /Authorization/ },
  { name: 'malformed JSON', method: 'POST', path: '/api/conversations', raw: '{"title":', status: 400, code: 'INVALID_JSON', message: /JSON/ },
  { name: 'a body that is an array', method: 'POST', path: '/api/conversations', json: [1], status: 400, code: 'VALIDATION_FAILED', message: /body/ },
  { name: 'title is an object', method: 'POST', path: '/api/conversations', json: { title: { a: 1 } }, status: 400, code: 'VALIDATION_FAILED', message: /title/ },
  { name: 'title is empty', method: 'POST', path: '/api/conversations', json: { title: '' }, status: 400, code: 'VALIDATION_FAILED', message: /title/ },
  { name: 'title is blank', method: 'POST', path: '/api/conversations', json: { title: '   ' }, status: 400, code: 'VALIDATION_FAILED', message: /title/ },
  { name: 'title of 201 characters', method: 'POST', path: '/api/conversations', json: { title: 't'.repeat(201) }, status: 400, code: 'VALIDATION_FAILED', message: /title/ },
  { name: 'model_tag of 101 characters', method: 'POST', path: '/api/conversations', json: { model_tag: 'm'.repeat(101) }, status: 400, code: 'VALIDATION_FAILED', message: /model_tag/ },
  { name: 'a form-encoded body', method: 'POST', path: '/api/conversations', raw: 'title=x', contentType: 'application/x-www-form-urlencoded', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: /media type/i },
  { name: 'a text/plain body (parsed as a string, refused by the schema)', method: 'POST', path: '/api/conversations', raw: 'title=x', contentType: 'text/plain', status: 400, code: 'VALIDATION_FAILED', message: /body must be object/ },
  { name: 'body over the 1 MiB limit', method: 'POST', path: '/api/conversations', json: { title: CHAT_OVER_LIMIT }, status: 413, code: 'BODY_TOO_LARGE', message: /body is too large/i },
  { name: 'title is a number', method: 'POST', path: '/api/conversations', json: { title: 5 }, status: 400, code: 'VALIDATION_FAILED', message: /title/ },
  { name: 'NUL in the title', method: 'POST', path: '/api/conversations', json: { title: 'a\u0000b' }, status: 400, code: 'VALIDATION_FAILED', message: /title must not contain the NUL character/ },
  { name: 'NUL in model_tag', method: 'POST', path: '/api/conversations', json: { model_tag: 'demo\u0000' }, status: 400, code: 'VALIDATION_FAILED', message: /model_tag must not contain the NUL character/ },
  { name: 'a lone surrogate in the title', method: 'POST', path: '/api/conversations', raw: '{"title":"half \\ud83d"}', status: 400, code: 'INVALID_UTF8', message: /body\/title holds a lone surrogate \(U\+D83D\)/ },
  // GET/PUT/DELETE /api/conversations/:id
  { name: 'non-UUID id', method: 'GET', path: '/api/conversations/not-a-uuid', status: 404, code: 'CHAT_CONVERSATION_NOT_FOUND', message: /conversation/ },
  { name: 'unknown UUID', method: 'GET', path: '/api/conversations/00000000-0000-4000-8000-000000000000', status: 404, code: 'CHAT_CONVERSATION_NOT_FOUND', message: /conversation/ },
  { name: 'no Authorization header', method: 'PUT', path: '/api/conversations/:conv', headers: noAuth, json: { title: 'x' }, status: 401, code: 'CHAT_UNAUTHENTICATED', message: /Authorization/ },
  { name: 'non-UUID id', method: 'PUT', path: '/api/conversations/not-a-uuid', json: { title: 'x' }, status: 404, code: 'CHAT_CONVERSATION_NOT_FOUND', message: /conversation/ },
  { name: 'no field to change', method: 'PUT', path: '/api/conversations/:conv', json: {}, status: 400, code: 'VALIDATION_FAILED', message: /title.*favorited.*model_tag/ },
  { name: 'only unknown fields', method: 'PUT', path: '/api/conversations/:conv', json: { colour: 'red' }, status: 400, code: 'VALIDATION_FAILED', message: /title.*favorited.*model_tag/ },
  { name: 'favorited is "yes"', method: 'PUT', path: '/api/conversations/:conv', json: { favorited: 'yes' }, status: 400, code: 'VALIDATION_FAILED', message: /favorited/ },
  { name: 'title is blank', method: 'PUT', path: '/api/conversations/:conv', json: { title: ' \t ' }, status: 400, code: 'VALIDATION_FAILED', message: /title/ },
  { name: 'title of 201 characters', method: 'PUT', path: '/api/conversations/:conv', json: { title: 't'.repeat(201) }, status: 400, code: 'VALIDATION_FAILED', message: /title/ },
  { name: 'malformed JSON', method: 'PUT', path: '/api/conversations/:conv', raw: '{"title" "x"}', status: 400, code: 'INVALID_JSON', message: /JSON/ },
  { name: 'body over the 1 MiB limit', method: 'PUT', path: '/api/conversations/:conv', json: { title: CHAT_OVER_LIMIT }, status: 413, code: 'BODY_TOO_LARGE', message: /body is too large/i },
  { name: 'favorited is 1', method: 'PUT', path: '/api/conversations/:conv', json: { favorited: 1 }, status: 400, code: 'VALIDATION_FAILED', message: /favorited/ },
  { name: 'model_tag is a number', method: 'PUT', path: '/api/conversations/:conv', json: { model_tag: 5 }, status: 400, code: 'VALIDATION_FAILED', message: /model_tag/ },
  { name: 'NUL in the title', method: 'PUT', path: '/api/conversations/:conv', json: { title: '\u0000' }, status: 400, code: 'VALIDATION_FAILED', message: /title must not contain the NUL character/ },
  { name: 'no Authorization header', method: 'DELETE', path: '/api/conversations/:conv', headers: noAuth, status: 401, code: 'CHAT_UNAUTHENTICATED', message: /Authorization/ },
  { name: 'a bearer that is not a JWT', method: 'DELETE', path: '/api/conversations/:conv', headers: garbageBearer, status: 401, code: 'CHAT_INVALID_TOKEN', message: /token/ },
  { name: 'non-UUID id', method: 'DELETE', path: '/api/conversations/1%20OR%201=1', status: 404, code: 'CHAT_CONVERSATION_NOT_FOUND', message: /conversation/ },
  // POST /api/conversations/:id/messages
  { name: 'no Authorization header', method: 'POST', path: '/api/conversations/:conv/messages', headers: noAuth, json: { content: 'hi' }, status: 401, code: 'CHAT_UNAUTHENTICATED', message: /Authorization/ },
  { name: 'malformed JSON', method: 'POST', path: '/api/conversations/:conv/messages', raw: '{"content":"hi"', status: 400, code: 'INVALID_JSON', message: /JSON/ },
  { name: 'empty body', method: 'POST', path: '/api/conversations/:conv/messages', raw: '', status: 400, code: 'EMPTY_BODY', message: /empty/i },
  { name: 'NUL in the content', method: 'POST', path: '/api/conversations/:conv/messages', json: { content: 'a\u0000b' }, status: 400, code: 'VALIDATION_FAILED', message: /body\/content must not contain the NUL character/ },
  { name: 'a lone surrogate in the content', method: 'POST', path: '/api/conversations/:conv/messages', raw: '{"content":"hi \\udc00"}', status: 400, code: 'INVALID_UTF8', message: /body\/content holds a lone surrogate/ },
  { name: 'content missing', method: 'POST', path: '/api/conversations/:conv/messages', json: {}, status: 400, code: 'VALIDATION_FAILED', message: /content/ },
  { name: 'content empty', method: 'POST', path: '/api/conversations/:conv/messages', json: { content: '' }, status: 400, code: 'VALIDATION_FAILED', message: /content/ },
  { name: 'content is null', method: 'POST', path: '/api/conversations/:conv/messages', json: { content: null }, status: 400, code: 'VALIDATION_FAILED', message: /content/ },
  { name: 'content of 16001 characters (MAX_MESSAGE_CHARS 16000)', method: 'POST', path: '/api/conversations/:conv/messages', json: { content: 'c'.repeat(16_001) }, status: 400, code: 'VALIDATION_FAILED', message: /content/ },
  { name: 'body over the 1 MiB limit', method: 'POST', path: '/api/conversations/:conv/messages', json: { content: CHAT_OVER_LIMIT }, status: 413, code: 'BODY_TOO_LARGE', message: /body is too large/i },
  { name: 'temperature 3', method: 'POST', path: '/api/conversations/:conv/messages', json: { content: 'hi', temperature: 3 }, status: 400, code: 'VALIDATION_FAILED', message: /temperature/ },
  { name: 'temperature -0.1', method: 'POST', path: '/api/conversations/:conv/messages', json: { content: 'hi', temperature: -0.1 }, status: 400, code: 'VALIDATION_FAILED', message: /temperature/ },
  { name: 'temperature "hot"', method: 'POST', path: '/api/conversations/:conv/messages', json: { content: 'hi', temperature: 'hot' }, status: 400, code: 'VALIDATION_FAILED', message: /temperature/ },
  { name: 'max_tokens 0', method: 'POST', path: '/api/conversations/:conv/messages', json: { content: 'hi', max_tokens: 0 }, status: 400, code: 'VALIDATION_FAILED', message: /max_tokens/ },
  { name: 'max_tokens 32769', method: 'POST', path: '/api/conversations/:conv/messages', json: { content: 'hi', max_tokens: 32_769 }, status: 400, code: 'VALIDATION_FAILED', message: /max_tokens/ },
  { name: 'max_tokens 1.5', method: 'POST', path: '/api/conversations/:conv/messages', json: { content: 'hi', max_tokens: 1.5 }, status: 400, code: 'VALIDATION_FAILED', message: /max_tokens/ },
  { name: 'model empty', method: 'POST', path: '/api/conversations/:conv/messages', json: { content: 'hi', model: '' }, status: 400, code: 'VALIDATION_FAILED', message: /model/ },
  { name: 'model of 101 characters', method: 'POST', path: '/api/conversations/:conv/messages', json: { content: 'hi', model: 'm'.repeat(101) }, status: 400, code: 'VALIDATION_FAILED', message: /model/ },
  { name: 'non-UUID id', method: 'POST', path: '/api/conversations/not-a-uuid/messages', json: { content: 'hi' }, status: 404, code: 'CHAT_CONVERSATION_NOT_FOUND', message: /conversation/ },
  { name: 'unknown UUID', method: 'POST', path: '/api/conversations/00000000-0000-4000-8000-000000000000/messages', json: { content: 'hi' }, status: 404, code: 'CHAT_CONVERSATION_NOT_FOUND', message: /conversation/ },
  { name: 'content is a number', method: 'POST', path: '/api/conversations/:conv/messages', json: { content: 123 }, status: 400, code: 'VALIDATION_FAILED', message: /content/ },
  { name: 'temperature "1" (a string)', method: 'POST', path: '/api/conversations/:conv/messages', json: { content: 'hi', temperature: '1' }, status: 400, code: 'VALIDATION_FAILED', message: /temperature/ },
  // POST /api/conversations/:id/regenerate
  { name: 'no Authorization header', method: 'POST', path: '/api/conversations/:conv/regenerate', headers: noAuth, json: {}, status: 401, code: 'CHAT_UNAUTHENTICATED', message: /Authorization/ },
  { name: 'malformed JSON', method: 'POST', path: '/api/conversations/:conv/regenerate', raw: '{,}', status: 400, code: 'INVALID_JSON', message: /JSON/ },
  { name: 'temperature -1', method: 'POST', path: '/api/conversations/:conv/regenerate', json: { temperature: -1 }, status: 400, code: 'VALIDATION_FAILED', message: /temperature/ },
  { name: 'max_tokens 0', method: 'POST', path: '/api/conversations/:conv/regenerate', json: { max_tokens: 0 }, status: 400, code: 'VALIDATION_FAILED', message: /max_tokens/ },
  { name: 'max_tokens "many"', method: 'POST', path: '/api/conversations/:conv/regenerate', json: { max_tokens: 'many' }, status: 400, code: 'VALIDATION_FAILED', message: /max_tokens/ },
  { name: 'non-UUID id', method: 'POST', path: '/api/conversations/not-a-uuid/regenerate', json: {}, status: 404, code: 'CHAT_CONVERSATION_NOT_FOUND', message: /conversation/ },
  { name: 'a conversation without a user message', method: 'POST', path: '/api/conversations/:conv/regenerate', json: {}, status: 409, code: 'CHAT_NOTHING_TO_REGENERATE', message: /user message/ },
  // GET /api/models, POST /api/models/swap
  { name: 'no Authorization header', method: 'GET', path: '/api/models', headers: noAuth, status: 401, code: 'CHAT_UNAUTHENTICATED', message: /Authorization/ },
  { name: 'a bearer that is not a JWT', method: 'GET', path: '/api/models', headers: garbageBearer, status: 401, code: 'CHAT_INVALID_TOKEN', message: /token/ },
  { name: 'no Authorization header', method: 'POST', path: '/api/models/swap', headers: noAuth, json: { model: 'demo' }, status: 401, code: 'CHAT_UNAUTHENTICATED', message: /Authorization/ },
  { name: 'a non-admin', method: 'POST', path: '/api/models/swap', json: { model: 'demo-large' }, status: 403, code: 'CHAT_FORBIDDEN', message: /administrator/ },
  { name: 'a non-admin with malformed JSON (refused before the body is read)', method: 'POST', path: '/api/models/swap', raw: '{nope', status: 403, code: 'CHAT_FORBIDDEN', message: /administrator/ },
  { name: 'admin, model missing', method: 'POST', path: '/api/models/swap', headers: admin, json: {}, status: 400, code: 'VALIDATION_FAILED', message: /model/ },
  { name: 'admin, model empty', method: 'POST', path: '/api/models/swap', headers: admin, json: { model: '' }, status: 400, code: 'VALIDATION_FAILED', message: /model/ },
  { name: 'admin, model of 201 characters', method: 'POST', path: '/api/models/swap', headers: admin, json: { model: 'm'.repeat(201) }, status: 400, code: 'VALIDATION_FAILED', message: /model/ },
  { name: 'admin, malformed JSON', method: 'POST', path: '/api/models/swap', headers: admin, raw: '{"model":}', status: 400, code: 'INVALID_JSON', message: /JSON/ },
  { name: 'admin, body over the 1 MiB limit', method: 'POST', path: '/api/models/swap', headers: admin, json: { model: CHAT_OVER_LIMIT }, status: 413, code: 'BODY_TOO_LARGE', message: /body is too large/i },
  { name: 'admin, unknown model (inference answer proxied)', method: 'POST', path: '/api/models/swap', headers: admin, json: { model: 'no-such-model' }, status: 404, code: 'INFERENCE_MODEL_NOT_FOUND', message: /no-such-model/ },
  { name: 'admin, model is a number', method: 'POST', path: '/api/models/swap', headers: admin, json: { model: 5 }, status: 400, code: 'VALIDATION_FAILED', message: /model/ },
  ] satisfies RowSpec[]
).map((r): Row => ({ headers: user, ...r, service: 'chat' }));

const authRows: Row[] = (
  [
  // POST /auth/dev-login
  { name: 'malformed JSON', method: 'POST', path: '/auth/dev-login', raw: '{"email":', status: 400, code: 'INVALID_JSON', message: /JSON/ },
  { name: 'email missing', method: 'POST', path: '/auth/dev-login', json: {}, status: 400, code: 'VALIDATION_FAILED', message: /email/ },
  { name: 'a body that is an array', method: 'POST', path: '/auth/dev-login', json: ['a@example.com'], status: 400, code: 'VALIDATION_FAILED', message: /body/ },
  { name: 'email not an address', method: 'POST', path: '/auth/dev-login', json: { email: 'not-an-email' }, status: 400, code: 'AUTH_INVALID_EMAIL', message: /email/ },
  { name: 'email is a number', method: 'POST', path: '/auth/dev-login', json: { email: 5 }, status: 400, code: 'VALIDATION_FAILED', message: /email/ },
  { name: 'email of 255 characters', method: 'POST', path: '/auth/dev-login', json: { email: `${'a'.repeat(243)}@example.com` }, status: 400, code: 'AUTH_INVALID_EMAIL', message: /email/ },
  { name: 'email of 321 characters', method: 'POST', path: '/auth/dev-login', json: { email: `${'a'.repeat(309)}@example.com` }, status: 400, code: 'VALIDATION_FAILED', message: /email/ },
  { name: 'name empty', method: 'POST', path: '/auth/dev-login', json: { email: 'bad-input@example.com', name: '' }, status: 400, code: 'AUTH_INVALID_NAME', message: /name/ },
  { name: 'name of 101 characters', method: 'POST', path: '/auth/dev-login', json: { email: 'bad-input@example.com', name: 'n'.repeat(101) }, status: 400, code: 'AUTH_INVALID_NAME', message: /name/ },
  { name: 'name with a control character', method: 'POST', path: '/auth/dev-login', json: { email: 'bad-input@example.com', name: 'Eve\u0007' }, status: 400, code: 'AUTH_INVALID_NAME', message: /name/ },
  { name: 'body over the 16 KiB limit', method: 'POST', path: '/auth/dev-login', json: { email: AUTH_OVER_LIMIT }, status: 413, code: 'BODY_TOO_LARGE', message: /body is too large/i },
  { name: 'unknown field is_admin', method: 'POST', path: '/auth/dev-login', json: { email: 'bad-input@example.com', is_admin: true }, status: 400, code: 'VALIDATION_FAILED', message: /is_admin/ },
  { name: 'name is a number', method: 'POST', path: '/auth/dev-login', json: { email: 'bad-input@example.com', name: 5 }, status: 400, code: 'VALIDATION_FAILED', message: /name/ },
  // PUT /auth/me
  { name: 'no token', method: 'PUT', path: '/auth/me', json: { name: 'x' }, status: 401, code: 'AUTH_TOKEN_MISSING', message: /Authorization: Bearer/ },
  { name: 'a bearer that is not a JWT', method: 'PUT', path: '/auth/me', headers: garbageBearer, json: { name: 'x' }, status: 401, code: 'AUTH_TOKEN_MALFORMED', message: /JWT/ },
  { name: 'a token with a tampered signature', method: 'PUT', path: '/auth/me', headers: (c) => ({ authorization: `Bearer ${tampered(c.user)}` }), json: { name: 'x' }, status: 401, code: 'AUTH_TOKEN_INVALID_SIGNATURE', message: /signature/ },
  { name: 'malformed JSON', method: 'PUT', path: '/auth/me', headers: user, raw: '{"name":"x",}', status: 400, code: 'INVALID_JSON', message: /JSON/ },
  { name: 'a lone surrogate in the name', method: 'PUT', path: '/auth/me', headers: user, raw: '{"name":"\\ud800x"}', status: 400, code: 'INVALID_UTF8', message: /body\/name holds a lone surrogate/ },
  { name: 'no field to change', method: 'PUT', path: '/auth/me', headers: user, json: {}, status: 400, code: 'AUTH_NOTHING_TO_UPDATE', message: /name.*avatar_url/ },
  { name: 'name empty', method: 'PUT', path: '/auth/me', headers: user, json: { name: '' }, status: 400, code: 'AUTH_INVALID_NAME', message: /name/ },
  { name: 'name of 101 characters', method: 'PUT', path: '/auth/me', headers: user, json: { name: 'n'.repeat(101) }, status: 400, code: 'AUTH_INVALID_NAME', message: /name/ },
  { name: 'name of 401 characters', method: 'PUT', path: '/auth/me', headers: user, json: { name: 'n'.repeat(401) }, status: 400, code: 'VALIDATION_FAILED', message: /name/ },
  { name: 'avatar_url over http', method: 'PUT', path: '/auth/me', headers: user, json: { avatar_url: 'http://images.example.com/a.png' }, status: 400, code: 'AUTH_INVALID_AVATAR_URL', message: /avatar_url/ },
  { name: 'avatar_url not a URL', method: 'PUT', path: '/auth/me', headers: user, json: { avatar_url: 'not a url' }, status: 400, code: 'AUTH_INVALID_AVATAR_URL', message: /avatar_url/ },
  { name: 'avatar_url of 2049 characters', method: 'PUT', path: '/auth/me', headers: user, json: { avatar_url: `https://images.example.com/${'a'.repeat(2049 - 27)}` }, status: 400, code: 'AUTH_INVALID_AVATAR_URL', message: /avatar_url/ },
  { name: 'avatar_url is a number', method: 'PUT', path: '/auth/me', headers: user, json: { avatar_url: 5 }, status: 400, code: 'VALIDATION_FAILED', message: /avatar_url/ },
  { name: 'body over the 16 KiB limit', method: 'PUT', path: '/auth/me', headers: user, json: { name: AUTH_OVER_LIMIT }, status: 413, code: 'BODY_TOO_LARGE', message: /body is too large/i },
  { name: 'unknown field email', method: 'PUT', path: '/auth/me', headers: user, json: { email: 'mallory@example.com' }, status: 400, code: 'VALIDATION_FAILED', message: /email/ },
  { name: 'name is a number', method: 'PUT', path: '/auth/me', headers: user, json: { name: 5 }, status: 400, code: 'VALIDATION_FAILED', message: /name/ },
  // POST /auth/refresh
  { name: 'no refresh cookie', method: 'POST', path: '/auth/refresh', status: 401, code: 'AUTH_REFRESH_MISSING', message: /refresh token/ },
  { name: 'a garbage refresh cookie', method: 'POST', path: '/auth/refresh', headers: () => ({ cookie: 'samosachaat_refresh=garbage' }), status: 401, code: 'AUTH_REFRESH_INVALID', message: /refresh token/ },
  { name: 'a well-formed but unknown refresh cookie', method: 'POST', path: '/auth/refresh', headers: () => ({ cookie: `samosachaat_refresh=${randomBytes(32).toString('base64url')}` }), status: 401, code: 'AUTH_REFRESH_INVALID', message: /refresh token/ },
  { name: 'a refresh cookie of 4000 characters', method: 'POST', path: '/auth/refresh', headers: () => ({ cookie: `samosachaat_refresh=${'r'.repeat(4000)}` }), status: 401, code: 'AUTH_REFRESH_INVALID', message: /refresh token/ },
  // POST /auth/validate
  { name: 'no internal key', method: 'POST', path: '/auth/validate', json: { token: 'x' }, status: 401, code: 'AUTH_INTERNAL_KEY_INVALID', message: /X-Internal-API-Key/ },
  { name: 'a wrong internal key', method: 'POST', path: '/auth/validate', headers: wrongKey, json: { token: 'x' }, status: 401, code: 'AUTH_INTERNAL_KEY_INVALID', message: /X-Internal-API-Key/ },
  { name: 'the internal key as a bearer token', method: 'POST', path: '/auth/validate', headers: bearerKey, json: { token: 'x' }, status: 401, code: 'AUTH_INTERNAL_KEY_INVALID', message: /X-Internal-API-Key/ },
  { name: 'malformed JSON', method: 'POST', path: '/auth/validate', headers: key, raw: '{"token"', status: 400, code: 'INVALID_JSON', message: /JSON/ },
  { name: 'token missing', method: 'POST', path: '/auth/validate', headers: key, json: {}, status: 400, code: 'VALIDATION_FAILED', message: /token/ },
  { name: 'token not a JWT', method: 'POST', path: '/auth/validate', headers: key, json: { token: 'abc' }, status: 401, code: 'AUTH_TOKEN_MALFORMED', message: /JWT/, shape: 'validate' },
  { name: 'token is a number', method: 'POST', path: '/auth/validate', headers: key, json: { token: 5 }, status: 400, code: 'VALIDATION_FAILED', message: /token/ },
  { name: 'a token with a tampered signature', method: 'POST', path: '/auth/validate', headers: key, json: (c: Ctx) => ({ token: tampered(c.user) }), status: 401, code: 'AUTH_TOKEN_INVALID_SIGNATURE', message: /signature/, shape: 'validate' },
  { name: 'body over the 16 KiB limit', method: 'POST', path: '/auth/validate', headers: key, json: { token: AUTH_OVER_LIMIT }, status: 413, code: 'BODY_TOO_LARGE', message: /body is too large/i },
  { name: 'unknown field', method: 'POST', path: '/auth/validate', headers: key, json: { token: 'abc', audience: 'chat' }, status: 400, code: 'VALIDATION_FAILED', message: /audience/ },
  // GET /auth/login/:provider
  { name: 'unknown provider', method: 'GET', path: '/auth/login/myspace', status: 404, code: 'AUTH_PROVIDER_UNKNOWN', message: /myspace/ },
  { name: 'provider not configured', method: 'GET', path: '/auth/login/github', status: 404, code: 'AUTH_PROVIDER_NOT_CONFIGURED', message: /GITHUB_CLIENT_ID/ },
  { name: 'provider of 33 characters', method: 'GET', path: `/auth/login/${'p'.repeat(33)}`, status: 400, code: 'VALIDATION_FAILED', message: /provider/ },
  ] satisfies RowSpec[]
).map((r): Row => ({ ...r, service: 'auth' }));

const inferenceRows: Row[] = (
  [
  // POST /generate
  { name: 'no internal key', method: 'POST', path: '/generate', headers: noAuth, json: hi, status: 401, code: 'INFERENCE_UNAUTHORIZED', message: /X-Internal-API-Key/ },
  { name: 'a wrong internal key', method: 'POST', path: '/generate', headers: wrongKey, json: hi, status: 401, code: 'INFERENCE_UNAUTHORIZED', message: /X-Internal-API-Key/ },
  { name: 'malformed JSON', method: 'POST', path: '/generate', raw: '{"messages":[', status: 400, code: 'INVALID_JSON', message: /JSON/ },
  { name: 'a lone surrogate in a message', method: 'POST', path: '/generate', raw: '{"messages":[{"role":"user","content":"\\ud800"}]}', status: 400, code: 'INVALID_UTF8', message: /body\/messages\/0\/content holds a lone surrogate/ },
  { name: 'messages missing', method: 'POST', path: '/generate', json: {}, status: 400, code: 'INFERENCE_INVALID_REQUEST', message: /messages/ },
  { name: 'messages empty', method: 'POST', path: '/generate', json: { messages: [] }, status: 400, code: 'INFERENCE_INVALID_REQUEST', message: /messages/ },
  { name: 'messages is a string', method: 'POST', path: '/generate', json: { messages: 'hi' }, status: 400, code: 'INFERENCE_INVALID_REQUEST', message: /messages/ },
  { name: '201 messages (MAX_MESSAGES 200)', method: 'POST', path: '/generate', json: { messages: Array.from({ length: 201 }, () => ({ role: 'user', content: 'hi' })) }, status: 400, code: 'INFERENCE_INVALID_REQUEST', message: /messages has 201/ },
  { name: 'role robot', method: 'POST', path: '/generate', json: { messages: [{ role: 'robot', content: 'hi' }] }, status: 400, code: 'INFERENCE_INVALID_REQUEST', message: /messages\[0\]\.role/ },
  { name: 'content missing', method: 'POST', path: '/generate', json: { messages: [{ role: 'user' }] }, status: 400, code: 'INFERENCE_INVALID_REQUEST', message: /messages\[0\]\.content/ },
  { name: 'content blank', method: 'POST', path: '/generate', json: msg('   '), status: 400, code: 'INFERENCE_INVALID_REQUEST', message: /messages\[0\]\.content/ },
  { name: 'content is a number', method: 'POST', path: '/generate', json: msg(5), status: 400, code: 'INFERENCE_INVALID_REQUEST', message: /messages\[0\]\.content/ },
  { name: 'content of 32001 characters (MAX_CONTENT_CHARS 32000)', method: 'POST', path: '/generate', json: msg('c'.repeat(32_001)), status: 400, code: 'INFERENCE_INVALID_REQUEST', message: /messages\[0\]\.content has 32001/ },
  { name: 'temperature 2.5', method: 'POST', path: '/generate', json: { ...hi, temperature: 2.5 }, status: 400, code: 'INFERENCE_INVALID_REQUEST', message: /temperature/ },
  { name: 'temperature -1', method: 'POST', path: '/generate', json: { ...hi, temperature: -1 }, status: 400, code: 'INFERENCE_INVALID_REQUEST', message: /temperature/ },
  { name: 'temperature "1" (a string)', method: 'POST', path: '/generate', json: { ...hi, temperature: '1' }, status: 400, code: 'INFERENCE_INVALID_REQUEST', message: /temperature/ },
  { name: 'max_tokens 0', method: 'POST', path: '/generate', json: { ...hi, max_tokens: 0 }, status: 400, code: 'INFERENCE_INVALID_REQUEST', message: /max_tokens/ },
  { name: 'max_tokens 4097 (MAX_TOKENS_LIMIT 4096)', method: 'POST', path: '/generate', json: { ...hi, max_tokens: 4097 }, status: 400, code: 'INFERENCE_INVALID_REQUEST', message: /max_tokens/ },
  { name: 'max_tokens 2.5', method: 'POST', path: '/generate', json: { ...hi, max_tokens: 2.5 }, status: 400, code: 'INFERENCE_INVALID_REQUEST', message: /max_tokens/ },
  { name: 'top_k 0', method: 'POST', path: '/generate', json: { ...hi, top_k: 0 }, status: 400, code: 'INFERENCE_INVALID_REQUEST', message: /top_k/ },
  { name: 'top_k 1001', method: 'POST', path: '/generate', json: { ...hi, top_k: 1001 }, status: 400, code: 'INFERENCE_INVALID_REQUEST', message: /top_k/ },
  { name: 'seed 1.5', method: 'POST', path: '/generate', json: { ...hi, seed: 1.5 }, status: 400, code: 'INFERENCE_INVALID_REQUEST', message: /seed/ },
  { name: 'unknown model', method: 'POST', path: '/generate', json: { ...hi, model: 'no-such-model' }, status: 404, code: 'INFERENCE_MODEL_NOT_FOUND', message: /no-such-model/ },
  { name: 'a model that is not loaded', method: 'POST', path: '/generate', json: { ...hi, model: 'demo-large' }, status: 409, code: 'INFERENCE_MODEL_NOT_LOADED', message: /demo-large/ },
  { name: 'body over the BODY_LIMIT_BYTES limit', method: 'POST', path: '/generate', json: msg(INFERENCE_OVER_LIMIT), status: 413, code: 'BODY_TOO_LARGE', message: /body is too large/i },
  // POST /models/swap
  { name: 'no internal key', method: 'POST', path: '/models/swap', headers: noAuth, json: { model: 'demo' }, status: 401, code: 'INFERENCE_UNAUTHORIZED', message: /X-Internal-API-Key/ },
  { name: 'a wrong internal key', method: 'POST', path: '/models/swap', headers: wrongKey, json: { model: 'demo' }, status: 401, code: 'INFERENCE_UNAUTHORIZED', message: /X-Internal-API-Key/ },
  { name: 'malformed JSON', method: 'POST', path: '/models/swap', raw: '{"model"', status: 400, code: 'INVALID_JSON', message: /JSON/ },
  { name: 'model missing', method: 'POST', path: '/models/swap', json: {}, status: 400, code: 'INFERENCE_INVALID_REQUEST', message: /model/ },
  { name: 'model is a number', method: 'POST', path: '/models/swap', json: { model: 5 }, status: 400, code: 'INFERENCE_INVALID_REQUEST', message: /model/ },
  { name: 'model empty', method: 'POST', path: '/models/swap', json: { model: '' }, status: 400, code: 'INFERENCE_INVALID_REQUEST', message: /model/ },
  { name: 'unknown model', method: 'POST', path: '/models/swap', json: { model: 'no-such-model' }, status: 404, code: 'INFERENCE_MODEL_NOT_FOUND', message: /no-such-model/ },
  ] satisfies RowSpec[]
).map((r): Row => ({ headers: key, ...r, service: 'inference' }));

const openAiRows: Row[] = (
  [
  { name: 'no bearer key', headers: noAuth, json: hi, status: 401, code: 'INFERENCE_UNAUTHORIZED', type: 'authentication_error', param: null, message: /API key/ },
  { name: 'a wrong bearer key', headers: () => ({ authorization: 'Bearer sk-not-the-key' }), json: hi, status: 401, code: 'INFERENCE_UNAUTHORIZED', type: 'authentication_error', param: null, message: /API key/ },
  { name: 'the key as X-Internal-API-Key instead of a bearer', headers: key, json: hi, status: 401, code: 'INFERENCE_UNAUTHORIZED', type: 'authentication_error', param: null, message: /API key/ },
  { name: 'malformed JSON', raw: '{"messages":[}', status: 400, code: 'INVALID_JSON', type: 'invalid_request_error', param: null, message: /JSON/ },
  { name: 'messages missing', json: { model: 'demo' }, status: 400, code: 'INFERENCE_INVALID_REQUEST', type: 'invalid_request_error', param: 'messages', message: /messages/ },
  { name: 'role robot', json: { messages: [{ role: 'robot', content: 'hi' }] }, status: 400, code: 'INFERENCE_INVALID_REQUEST', type: 'invalid_request_error', param: 'messages[0].role', message: /messages\[0\]\.role/ },
  { name: 'an image content part', json: msg([{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }]), status: 400, code: 'INFERENCE_INVALID_REQUEST', type: 'invalid_request_error', param: 'messages[0].content[0]', message: /messages\[0\]\.content\[0\]/ },
  { name: 'content of 32001 characters', json: msg('c'.repeat(32_001)), status: 400, code: 'INFERENCE_INVALID_REQUEST', type: 'invalid_request_error', param: 'messages[0].content', message: /messages\[0\]\.content/ },
  { name: 'n 2', json: { ...hi, n: 2 }, status: 400, code: 'INFERENCE_INVALID_REQUEST', type: 'invalid_request_error', param: 'n', message: /\bn must be 1/ },
  { name: 'temperature 3', json: { ...hi, temperature: 3 }, status: 400, code: 'INFERENCE_INVALID_REQUEST', type: 'invalid_request_error', param: 'temperature', message: /temperature/ },
  { name: 'max_tokens 0', json: { ...hi, max_tokens: 0 }, status: 400, code: 'INFERENCE_INVALID_REQUEST', type: 'invalid_request_error', param: 'max_tokens', message: /max_tokens/ },
  { name: 'top_k 0', json: { ...hi, top_k: 0 }, status: 400, code: 'INFERENCE_INVALID_REQUEST', type: 'invalid_request_error', param: 'top_k', message: /top_k/ },
  { name: 'seed "x"', json: { ...hi, seed: 'x' }, status: 400, code: 'INFERENCE_INVALID_REQUEST', type: 'invalid_request_error', param: 'seed', message: /seed/ },
  { name: 'stream "yes"', json: { ...hi, stream: 'yes' }, status: 400, code: 'INFERENCE_INVALID_REQUEST', type: 'invalid_request_error', param: 'stream', message: /stream/ },
  { name: 'unknown model', json: { ...hi, model: 'no-such-model' }, status: 404, code: 'INFERENCE_MODEL_NOT_FOUND', type: 'invalid_request_error', param: null, message: /no-such-model/ },
  { name: 'body over the BODY_LIMIT_BYTES limit', json: msg(INFERENCE_OVER_LIMIT), status: 413, code: 'BODY_TOO_LARGE', type: 'invalid_request_error', param: null, message: /body is too large/i },
  {
    name: 'max_completion_tokens 99999',
    json: { ...hi, max_completion_tokens: 99_999 },
    status: 400,
    code: 'INFERENCE_INVALID_REQUEST',
    type: 'invalid_request_error',
    param: 'max_completion_tokens',
    message: /max_completion_tokens/,
  },
  ] satisfies Omit<RowSpec, 'method' | 'path'>[]
).map((r): Row => ({ headers: bearerKey, method: 'POST', path: '/v1/chat/completions', shape: 'openai', ...r, service: 'inference' }));

const rows: Row[] = [...chatRows, ...authRows, ...inferenceRows, ...openAiRows];

function titleOf(row: Row): string {
  return `${row.service} ${row.method} ${row.path.length > 70 ? `${row.path.slice(0, 70)}…` : row.path} — ${row.name} → ${row.status} ${row.code}`;
}

interface Envelope {
  error?: { code?: unknown; message?: unknown; trace_id?: unknown; type?: unknown; param?: unknown };
  valid?: unknown;
}

describe('bad input on every public endpoint: exact status, code and message, and no row changed', { timeout: scaled(600_000) }, () => {
  let p: Platform | undefined;
  let db: DbRows | undefined;
  let ctx: Ctx;
  let initial: RowSnapshot;

  before(async () => {
    const internalKey = randomBytes(24).toString('hex');
    p = await startPlatform({ INTERNAL_API_KEY: internalKey, ADMIN_EMAILS: 'admin@bad-input.test', LOGIN_RATE_LIMIT: '10000', DEMO_TOKENS_PER_SECOND: '0', BODY_LIMIT_BYTES: String(INFERENCE_BODY_LIMIT), OPENAI_COMPAT_API: 'true' });
    const login = async (email: string) => {
      const res = await fetch(`${p!.urls.auth}/auth/dev-login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) });
      assert.equal(res.status, 200, await res.clone().text());
      return ((await res.json()) as { access_token: string }).access_token;
    };
    const adminToken = await login('admin@bad-input.test');
    const created = await fetch(`${p.urls.chat}/api/conversations`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${p.token}` }, body: JSON.stringify({ title: 'bad input target' }) });
    assert.equal(created.status, 201, await created.clone().text());
    ctx = { urls: p.urls, user: p.token, admin: adminToken, internalKey, conv: ((await created.json()) as { id: string }).id };
    db = await openDbRows(p.dataDir);
    initial = await db.snapshot();
  });

  after(async () => {
    await db?.close();
    await p?.stop();
  });

  /**
   * One HTTP request that keeps the answer even when the server answers before it has read the
   * whole body and closes (413 on an oversized body): fetch would fail with EPIPE instead.
   */
  function send(url: string, method: string, headers: Record<string, string>, body: string | undefined): Promise<{ status: number; headers: Headers; text: string }> {
    return new Promise((resolve, reject) => {
      let answered = false;
      const req = http.request(url, { method, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
          resolve({ status: res.statusCode ?? 0, headers: h, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      });
      req.on('error', (err) => {
        if (!answered) reject(err);
      });
      req.end(body);
    });
  }

  async function runRow(row: Row): Promise<void> {
    const base = { chat: ctx.urls.chat, auth: ctx.urls.auth, inference: ctx.urls.inference }[row.service];
    const json = typeof row.json === 'function' ? (row.json as (c: Ctx) => unknown)(ctx) : row.json;
    const body = row.raw ?? (json === undefined ? undefined : JSON.stringify(json));
    const headers: Record<string, string> = { ...(row.headers ? row.headers(ctx) : {}) };
    if (body !== undefined) headers['content-type'] = row.contentType ?? 'application/json';

    const rowsBefore = await db!.snapshot();
    const res = await send(`${base}${row.path.replace(':conv', ctx.conv)}`, row.method, headers, body);
    const text = res.text;
    const rowsAfter = await db!.snapshot();

    assert.equal(res.status, row.status, `status; body: ${text.slice(0, 400)}`);
    let parsed: Envelope;
    try {
      parsed = JSON.parse(text) as Envelope;
    } catch {
      assert.fail(`the answer is not JSON: ${text.slice(0, 400)}`);
    }
    const error = parsed.error;
    assert.ok(error && typeof error === 'object', `no error object: ${text.slice(0, 400)}`);
    assert.equal(error.code, row.code, `error.code; body: ${text.slice(0, 400)}`);
    assert.equal(typeof error.message, 'string');
    assert.match(error.message as string, row.message, 'the message names the problem');
    if (row.shape === 'openai') {
      assert.deepEqual(Object.keys(error).sort(), ['code', 'message', 'param', 'type'], "OpenAI's error shape");
      assert.equal(error.type, row.type);
      assert.equal(error.param, row.param);
    } else {
      assert.match(String(error.trace_id), /^[0-9a-f]{32}$/, 'the envelope carries the trace id');
      assert.equal(res.headers.get('x-trace-id'), error.trace_id, 'the trace id of the envelope is the one of the x-trace-id header');
      if (row.shape === 'validate') assert.equal(parsed.valid, false);
    }
    assert.deepEqual(rowsAfter, rowsBefore, 'no database row changed');
  }

  for (const row of rows.filter((r) => !r.todo)) it(titleOf(row), () => runRow(row));

  it('NO ROW CHANGED: users, conversations, messages and refresh_tokens are exactly as before the matrix; no internal error was logged; every service is still up', async () => {
    // Give anything a request may have set off after its answer a moment to land.
    await new Promise((r) => setTimeout(r, 500));
    const now = await db!.snapshot();
    assert.deepEqual(now, initial);
    assert.ok((initial['users']?.rows ?? 0) >= 2 && (initial['conversations']?.rows ?? 0) >= 2 && (initial['refresh_tokens']?.rows ?? 0) >= 2, 'the snapshot covers real rows');
    const internal = p!.logLines().filter((l) => l['message'] === 'request_failed' || l['level'] === 'critical');
    assert.deepEqual(internal, [], 'no bad input made a service fail internally');
    for (const url of Object.values(ctx.urls)) assert.equal((await fetch(`${url}/health`)).status, 200, `${url}/health`);
  });

  it('control: the snapshot sees a change (a valid PUT of the same conversation changes conversations)', async () => {
    const rowsBefore = await db!.snapshot();
    const res = await fetch(`${ctx.urls.chat}/api/conversations/${ctx.conv}`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${ctx.user}` }, body: JSON.stringify({ title: 'renamed' }) });
    assert.equal(res.status, 200);
    const rowsAfter = await db!.snapshot();
    assert.notDeepEqual(rowsAfter['conversations'], rowsBefore['conversations']);
    assert.deepEqual(rowsAfter['users'], rowsBefore['users']);
  });

  // Service bugs: each asserts the right behaviour (and its own no-change) and is reported as todo.
  for (const row of rows.filter((r) => r.todo)) it(titleOf(row), { todo: row.todo }, () => runRow(row));
});
