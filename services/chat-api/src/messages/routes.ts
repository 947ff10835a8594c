import type { Database } from '@samosachaat/db';
import type { FastifyInstance, onSendHookHandler } from 'fastify';
import { authenticatedUser } from '../auth/auth-guard.js';
import { AppError } from '@samosachaat/service-kit';
import { CHAT_ERRORS } from '../errors.js';
import type { ChatMetrics } from '../metrics.js';
import { streamAnswer, type AnswerDeps } from './answer-stream.js';
import type { HistoryLimits } from './history.js';
import { DuplicateSendError, prepareRegeneration, prepareSend, storedExchange } from './send-preparation.js';
import { isUuid } from '../conversations/cursor.js';
import type { ModelCatalog } from '../models/model-catalog.js';
import type { StreamSlot, StreamSlots } from './stream-slots.js';
import type { AnswerContext } from './send-preparation.js';
import { recordRefusedSend } from './answer-outcomes.js';

/** What the message routes need. */
export interface MessageRoutesDeps {
  db: Database;
  metrics: ChatMetrics;
  answer: AnswerDeps;
  /** The per-user stream cap, shared by the replicas (stream-slots.ts). */
  slots: StreamSlots;
  history: HistoryLimits;
  maxMessageChars: number;
  /** Checks a `model` a send or regenerate names, before anything is stored. */
  models: ModelCatalog;
  /** Registers a running answer so shutdown can wait for it to be persisted. */
  track<T>(work: Promise<T>): Promise<T>;
}

interface GenerationOptions {
  model?: string;
  temperature?: number;
  max_tokens?: number;
}

const generationProperties = {
  model: { type: 'string', minLength: 1, maxLength: 100 },
  temperature: { type: 'number', minimum: 0, maximum: 2 },
  max_tokens: { type: 'integer', minimum: 1, maximum: 32_768 },
} as const;

const STREAM_RETRY_AFTER_SECONDS = 5;

// A client's id for a message: an Idempotency-Key (a UUID in the web UI), 1–100 safe characters.
const CLIENT_MESSAGE_ID = { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._:-]+$' } as const;

/** POST /api/conversations/:id/messages (send) and /regenerate: both stream an answer as SSE. */
export function registerMessageRoutes(app: FastifyInstance, deps: MessageRoutesDeps): void {
  const log = deps.answer.obs.getLogger('messages');

  // A send answered with a 5xx before any byte of an answer is an answer the user did not get:
  // counted for the answer-success SLI (docs/slos.md) with its error code as the reason.
  const countRefused: onSendHookHandler = (_request, reply, payload, done) => {
    if (reply.statusCode >= 500 && typeof payload === 'string') {
      let code = 'unknown';
      try {
        code = (JSON.parse(payload) as { error?: { code?: string } }).error?.code ?? code;
      } catch {
        // not the error envelope: counted as unknown
      }
      recordRefusedSend(deps.metrics, 'chat', code);
    }
    done(null, payload);
  };

  const tooManyStreams = () => CHAT_ERRORS.CHAT_TOO_MANY_STREAMS({ retryAfterSeconds: STREAM_RETRY_AFTER_SECONDS });

  /**
   * A stream slot of the user: refused at once (429) when this replica alone holds the cap;
   * else the shared slot is being taken (one grouped insert) while the send is prepared and
   * inference asked, and the answer's commit waits for it ({@link gated}): a refused slot is a
   * 429 before anything is saved or sent, and a granted one costs the send no round trip of
   * its own on the way to the first token.
   */
  function acquireStream(userId: string): Promise<StreamSlot | undefined> {
    const slot = deps.slots.tryAcquire(userId);
    if (!slot) throw tooManyStreams();
    return slot;
  }

  /** `context` whose commit first waits for the stream slot (refused: a 429, nothing saved). */
  function gated(context: AnswerContext, slot: Promise<StreamSlot | undefined>): AnswerContext {
    let committed: ReturnType<AnswerContext['commit']> | undefined;
    return {
      ...context,
      commit: () =>
        (committed ??= slot.then((held) => {
          if (!held) throw tooManyStreams();
          return context.commit();
        })),
    };
  }

  const releaseWhenTaken = (slot: Promise<StreamSlot | undefined>) => void slot.then((held) => held?.release());

  app.post<{ Params: { id: string }; Body: GenerationOptions & { content: string; client_message_id?: string } }>(
    '/conversations/:id/messages',
    {
      config: { spanName: 'send message' },
      schema: {
        body: {
          type: 'object',
          required: ['content'],
          // PostgreSQL text cannot hold NUL: refused here with a 400, not by the database.
          properties: {
            content: { type: 'string', minLength: 1, maxLength: deps.maxMessageChars, pattern: '^[^\\u0000]*$' },
            client_message_id: CLIENT_MESSAGE_ID,
            ...generationProperties,
          },
        },
        headers: { type: 'object', properties: { 'idempotency-key': CLIENT_MESSAGE_ID } },
      },
      onSend: countRefused,
    },
    async (request, reply) => {
      const user = authenticatedUser(request);
      const header = request.headers['idempotency-key'];
      const clientMessageId = request.body.client_message_id ?? (typeof header === 'string' ? header : undefined);
      if (request.body.client_message_id !== undefined && typeof header === 'string' && header !== request.body.client_message_id) {
        throw new AppError('VALIDATION_FAILED', 'the Idempotency-Key header and client_message_id differ: send one id for the message', 400, true);
      }
      if (request.body.model !== undefined) await deps.models.assertKnown(request.body.model);
      const slot = acquireStream(user.id);
      try {
        await deps.track(
          (async () => {
            const prepared = await prepareSend(deps.db, deps.answer.writer, user.id, request.params.id, request.body.content, {
              clientMessageId,
              limits: deps.history,
              cache: deps.answer.historyCache,
              onCacheResult: (result) => deps.metrics.historyCache.inc({ result }),
              onCommitted: (messageId, historyMessages) => {
                deps.metrics.messagesPersisted.inc({ role: 'user', outcome: 'complete' });
                log.info({ conversation_id: request.params.id, message_id: messageId, role: 'user', token_count: null, status: 'complete', history_messages: historyMessages }, 'message_persisted');
              },
            });
            const context = gated(prepared, slot);
            const { model, temperature, max_tokens: maxTokens } = request.body;
            await streamAnswer(deps.answer, request, reply, { context, model, temperature, maxTokens, replacePrevious: false });
          })(),
        );
      } catch (err) {
        if (!(err instanceof DuplicateSendError)) throw err;
        // A retry of a send whose message is stored: that message (and its answer so far), not a second copy.
        deps.metrics.duplicateSends.inc();
        log.info({ conversation_id: err.conversationId, message_id: err.userMessageId }, 'send_duplicate');
        const exchange = await storedExchange(deps.db, err.conversationId, err.userMessageId);
        return reply.header('x-user-message-id', err.userMessageId).code(200).send({ duplicate: true, ...exchange });
      } finally {
        releaseWhenTaken(slot);
      }
    },
  );

  // Stop: idempotent, scoped to the user. A streaming answer gets its stop flag (any replica
  // streaming it finds it within ANSWER_STOP_POLL_MS; this one stops it at once): 202. An answer
  // that already ended is left as it is: 200 with its status. Anything else is a 404.
  app.post<{ Params: { id: string; messageId: string } }>('/conversations/:id/messages/:messageId/stop', { config: { spanName: 'stop answer' } }, async (request, reply) => {
    const user = authenticatedUser(request);
    const { id, messageId } = request.params;
    if (!isUuid(id)) throw CHAT_ERRORS.CHAT_CONVERSATION_NOT_FOUND();
    if (!isUuid(messageId)) throw CHAT_ERRORS.CHAT_MESSAGE_NOT_FOUND();
    const { rows } = await deps.db.query<{ id: string; status: string; flagged: boolean }>(
      `WITH target AS (
         SELECT m.id, m.status FROM messages m JOIN conversations c ON c.id = m.conversation_id
          WHERE m.id = $1 AND m.conversation_id = $2 AND c.user_id = $3 AND m.role = 'assistant'
       ), flagged AS (
         UPDATE messages m SET stop_requested_at = COALESCE(m.stop_requested_at, now())
           FROM target WHERE m.id = target.id AND target.status = 'streaming' RETURNING m.id
       )
       SELECT target.id::text AS id, target.status, EXISTS (SELECT 1 FROM flagged) AS flagged FROM target`,
      [messageId, id, user.id],
      { operation: 'messages.stop' },
    );
    const found = rows[0];
    if (!found) throw CHAT_ERRORS.CHAT_MESSAGE_NOT_FOUND();
    if (!found.flagged) return reply.code(200).send({ id: found.id, status: found.status });
    const here = deps.answer.stops.stopHere(found.id);
    log.info({ conversation_id: id, message_id: found.id, streaming_here: here }, 'answer_stop_requested');
    return reply.code(202).send({ id: found.id, status: 'stopping' });
  });

  app.post<{ Params: { id: string }; Body: GenerationOptions | null }>(
    '/conversations/:id/regenerate',
    { config: { spanName: 'regenerate answer' }, schema: { body: { type: ['object', 'null'], properties: generationProperties } }, onSend: countRefused },
    async (request, reply) => {
      const user = authenticatedUser(request);
      if (request.body?.model !== undefined) await deps.models.assertKnown(request.body.model);
      const slot = acquireStream(user.id);
      try {
        await deps.track(
          (async () => {
            const context = gated(await prepareRegeneration(deps.db, deps.answer.writer, user.id, request.params.id, deps.history), slot);
            const { model, temperature, max_tokens: maxTokens } = request.body ?? {};
            await streamAnswer(deps.answer, request, reply, { context, model, temperature, maxTokens, replacePrevious: true });
          })(),
        );
      } finally {
        releaseWhenTaken(slot);
      }
    },
  );
}
