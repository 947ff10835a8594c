/**
 * Sending a message, regenerating an answer and stopping one. The answer is read from the
 * fetch body as it arrives (SSE parsed incrementally) and drawn token by token. Stop (the
 * button, Esc) asks chat-api to stop the answer (`POST …/messages/:id/stop`): generation ends
 * upstream and the partial is stored as `stopped`. Leaving the conversation or signing out
 * only disconnects: chat-api keeps reading inference and saves the whole answer anyway.
 */
import { ApiError, apiFetch, type TokenSource } from '../lib/api.js';
import { conversationApiPath, stopAnswerApiPath } from '../lib/ids.js';
import { readAnswerStream } from '../lib/sse.js';
import { newTraceId } from '../lib/trace.js';
import { planRefusal } from './retry.js';
import { AnswerView, userMessage, type Thread } from './thread.js';
import { rememberTrace } from './trace-links.js';

/** What the answer controller needs from the page. */
export interface AnswerHost {
  auth: TokenSource;
  thread: Thread;
  /** Shows an error; `retry` offers a button that runs it. */
  fail(err: unknown, retry?: { label: string; run: () => void }): void;
  sessionExpired(): void;
  /** Called when a stream starts or ends (buttons follow). */
  streamingChanged(streaming: boolean): void;
  /** An answer finished or stopped in this conversation (the list order and title may change). */
  answered(conversationId: string): void;
}

/**
 * How one send or regenerate ended, from the composer's point of view: 'not-sent' nothing was
 * saved (the text goes back into the composer); 'unanswered' the question stays, refused before
 * any answer, with Retry offered (chat/retry.ts).
 */
export type SendResult = 'streamed' | 'not-sent' | 'unanswered';

/** A send, kept to retry it with the same client message id. */
interface SendAttempt {
  kind: 'send';
  content: string;
  clientMessageId: string;
  question: HTMLLIElement;
}

type Attempt = SendAttempt | { kind: 'regenerate' };

/** Runs at most one streamed answer at a time. */
export class Answers {
  private controller: AbortController | null = null;
  /** The answer streaming now: where its stop endpoint is. */
  private current: { conversationId: string; answerId: string } | null = null;
  /** A resent question turned out stored with a failed answer: regenerate it. */
  private storedUnanswered = false;

  constructor(private readonly host: AnswerHost) {}

  get streaming(): boolean {
    return this.controller !== null;
  }

  /**
   * Stops the answer streaming now: chat-api cancels the generation and stores what was
   * generated as stopped; the stream then ends by itself. Before the answer has an id (or if
   * the request fails), the fetch is dropped instead.
   */
  stop(): void {
    const current = this.current;
    if (!current) return this.disconnect();
    const path = stopAnswerApiPath(current.conversationId, current.answerId);
    apiFetch(path, { method: 'POST' }, this.host.auth).catch(() => this.disconnect());
  }

  /** Stops reading the answer (navigation, sign-out): the server still finishes and saves it. */
  disconnect(): void {
    this.controller?.abort();
  }

  /** Sends `content` to the conversation and streams the answer. 'not-sent': nothing was saved. */
  async send(conversationId: string, content: string): Promise<SendResult> {
    const question = userMessage(content);
    this.host.thread.add(question);
    // Every send carries its own id, so a retried request can never store the message twice.
    const clientMessageId = typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : newTraceId();
    const result = await this.stream(conversationId, conversationApiPath(conversationId, '/messages'), { content, client_message_id: clientMessageId }, question, undefined, { kind: 'send', content, clientMessageId, question });
    if (result === 'not-sent') question.remove();
    this.host.thread.refreshWelcome();
    return result;
  }

  /** Replaces the last answer with a new one. */
  async regenerate(conversationId: string): Promise<void> {
    const previous = this.host.thread.lastAnswer();
    const question = this.host.thread.lastUser();
    previous?.remove();
    const result = await this.stream(conversationId, conversationApiPath(conversationId, '/regenerate'), {}, question, question?.dataset['id'], { kind: 'regenerate' });
    if (result === 'not-sent' && previous) this.host.thread.add(previous);
  }

  /** Retry of a refused send whose storing is unknown: the same client message id, never a second copy. */
  private async resend(conversationId: string, attempt: SendAttempt): Promise<void> {
    this.host.thread.lastAnswer()?.remove();
    this.storedUnanswered = false;
    const { content, clientMessageId, question } = attempt;
    await this.stream(conversationId, conversationApiPath(conversationId, '/messages'), { content, client_message_id: clientMessageId }, question, undefined, attempt);
    if (this.storedUnanswered) await this.regenerate(conversationId);
  }

  private async stream(conversationId: string, path: string, body: unknown, question: HTMLLIElement | null, userMessageId: string | undefined, attempt: Attempt): Promise<SendResult> {
    const traceId = newTraceId();
    const controller = new AbortController();
    this.controller = controller;
    this.host.streamingChanged(true);
    const view = new AnswerView(true);
    this.host.thread.add(view.el);
    let started = false;
    let result: SendResult = 'streamed';
    try {
      const { res } = await apiFetch(path, { method: 'POST', body, traceId, signal: controller.signal, accept: 'text/event-stream' }, this.host.auth);
      started = true;
      const answerTrace = res.headers.get('x-trace-id') ?? traceId;
      const questionId = res.headers.get('x-user-message-id') ?? userMessageId;
      if (questionId) {
        if (question) question.dataset['id'] = questionId;
        rememberTrace(questionId, answerTrace);
      }
      view.linkTrace(answerTrace);
      const answerId = res.headers.get('x-answer-message-id');
      if (answerId) this.current = { conversationId, answerId };
      if ((res.headers.get('content-type') ?? '').startsWith('application/json')) {
        // This message was stored already (same client message id): show the stored answer.
        const stored = (await res.json()) as { answer: { content: string; status: string } | null };
        if (!stored.answer || (stored.answer.status === 'error' && !stored.answer.content)) {
          // Stored, but refused before any answer: a retry regenerates it.
          view.el.remove();
          this.storedUnanswered = true;
          return 'streamed';
        }
        view.append(stored.answer.content);
        view.finish(stored.answer?.status ?? 'streaming');
        return 'streamed';
      }
      let failure: string | null = null;
      let stopped = false;
      await readAnswerStream(res.body!, (event) => {
        if (event.kind === 'token') {
          view.append(event.token);
          this.host.thread.scrollToEnd();
        } else if (event.kind === 'error') failure = event.message;
        else if (event.kind === 'done' && event.stopped) stopped = true;
      });
      if (stopped) view.finish('stopped', 'Stopped. What was generated is saved.');
      else if (failure) view.finish(view.length ? 'incomplete' : 'error', `The answer was cut short: ${failure}`);
      else view.finish('complete');
      return 'streamed';
    } catch (err) {
      if (controller.signal.aborted) {
        view.finish('stopped', 'Disconnected. The server still finishes and saves the full answer — reopen the conversation to read it.');
        return 'streamed';
      }
      if (!started) {
        view.el.remove();
        result = this.refused(conversationId, err, attempt);
        return result;
      }
      view.finish('incomplete', `The connection was lost: ${err instanceof Error ? err.message : String(err)}`);
      return 'streamed';
    } finally {
      this.controller = null;
      this.current = null;
      this.host.streamingChanged(false);
      if (result !== 'not-sent') this.host.answered(conversationId);
    }
  }

  /** The request was answered with an error before any byte of the answer (chat/retry.ts). */
  private refused(conversationId: string, err: unknown, attempt: Attempt): SendResult {
    if (err instanceof ApiError && err.code === 'SESSION_EXPIRED') {
      this.host.sessionExpired();
      return 'not-sent';
    }
    const plan = err instanceof ApiError ? planRefusal(err, attempt.kind) : null;
    if (!(err instanceof ApiError) || !plan?.keepQuestion) {
      this.host.fail(err);
      return 'not-sent';
    }
    if (attempt.kind === 'send' && err.userMessageId) attempt.question.dataset['id'] = err.userMessageId;
    // As a reload shows it: the question, then the answer that failed and why.
    const failed = new AnswerView(false);
    failed.finish('error', plan.text);
    failed.linkTrace(err.traceId);
    this.host.thread.add(failed.el);
    const run = (): void => {
      if (this.streaming) return;
      if (plan.retry === 'regenerate' || attempt.kind === 'regenerate') void this.regenerate(conversationId);
      else void this.resend(conversationId, attempt);
    };
    this.host.fail(new Error(plan.text), plan.retry ? { label: 'Retry', run } : undefined);
    return 'unanswered';
  }
}
