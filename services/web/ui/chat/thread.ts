/**
 * Rendering of one conversation's messages, including the answer that is streaming now.
 * A question is shown as text; an answer as sanitised markdown (chat/markdown.ts).
 */
import { announce, excerpt } from '../lib/a11y.js';
import { byId, clear, h } from '../lib/dom.js';
import { traceHref } from '../lib/trace.js';
import { copyButton, copyText, MarkdownView } from './markdown.js';
import { storedNote } from './reasons.js';
import type { Message } from './types.js';
import { traceFor } from './trace-links.js';

/** One assistant answer on screen, growing while it streams. */
export class AnswerView {
  readonly el: HTMLLIElement;
  private readonly text: MarkdownView;
  private readonly body: HTMLDivElement;
  private readonly meta: HTMLDivElement;
  private tokens = 0;
  private readonly startedAt = performance.now();

  constructor(private readonly streaming: boolean) {
    this.text = new MarkdownView('answer-text');
    this.body = h('div', { class: 'message-body', 'aria-busy': streaming ? 'true' : null }, this.text.el);
    if (streaming) {
      this.body.appendChild(h('span', { class: 'typing', 'aria-hidden': 'true' }, h('span'), h('span'), h('span')));
      announce('samosaChaat is answering.');
    }
    const copy = copyButton('copy-answer', ' this answer (markdown)');
    copy.addEventListener('click', () => void copyText(copy, this.text.text));
    this.meta = h('div', { class: 'message-meta' }, copy);
    this.el = h('li', { class: `message assistant${streaming ? ' streaming' : ''}` }, h('div', { class: 'message-role' }, 'samosaChaat'), this.body, this.meta);
  }

  /** Appends streamed text. */
  append(token: string): void {
    this.tokens += 1;
    this.text.append(token);
    this.body.querySelector('.typing')?.remove();
  }

  /** Shows stored text (a reloaded answer). */
  setText(text: string): void {
    this.text.set(text);
  }

  get length(): number {
    return this.text.text.length;
  }

  /** Ends streaming: `status` complete, incomplete, stopped or error, with an optional note. */
  finish(status: string, note?: string): void {
    this.text.flush();
    this.el.classList.remove('streaming');
    this.el.dataset['status'] = status;
    this.body.setAttribute('aria-busy', 'false');
    this.body.querySelector('.typing')?.remove();
    if (status !== 'complete') this.meta.appendChild(h('span', { class: `badge badge-${status === 'stopped' ? 'muted' : 'warn'}` }, status === 'stopped' ? 'stopped' : status === 'error' ? 'failed' : 'incomplete'));
    if (note) this.meta.appendChild(h('span', { class: 'message-note' }, note));
    // Said once when a live answer ends (the streaming text itself is not a live region).
    if (this.streaming) announce(status === 'complete' ? `samosaChaat answered: ${excerpt(this.text.el.textContent ?? '')}` : `The answer ${status === 'stopped' ? 'was stopped' : status === 'error' ? 'failed' : 'is incomplete'}. ${note ?? ''}`.trim());
    // What this page saw: token events received and the time from request to the last one.
    if (this.streaming && this.tokens > 0) this.details({ token_count: this.tokens, inference_time_ms: performance.now() - this.startedAt, model_tag: null });
  }

  /** A note under an answer (no status change). */
  note(text: string): void {
    this.meta.appendChild(h('span', { class: 'message-note' }, text));
  }

  /** Adds the facts known about a stored answer (token count, time). */
  details(m: Pick<Message, 'token_count' | 'inference_time_ms' | 'model_tag'>): void {
    const parts = [m.model_tag, m.token_count !== null ? `${m.token_count} tokens` : null, m.inference_time_ms !== null ? `${(m.inference_time_ms / 1000).toFixed(1)} s` : null].filter(Boolean);
    if (parts.length) this.meta.appendChild(h('span', { class: 'message-facts' }, parts.join(' · ')));
  }

  /** Links the answer to its trace in the operations console. */
  linkTrace(traceId: string): void {
    this.meta.querySelector('.trace-link')?.remove();
    // A new tab: the chat (and an answer still streaming) stays where it is.
    this.meta.appendChild(h('a', { class: 'trace-link', href: traceHref(traceId), target: '_blank', rel: 'noopener', 'data-trace-id': traceId, title: `Trace ${traceId}`, 'aria-label': 'Open the trace of this answer in the console (new tab)' }, 'trace'));
  }
}

/** A user message element. */
export function userMessage(text: string, id?: string): HTMLLIElement {
  return h('li', { class: 'message user', 'data-id': id ?? null }, h('div', { class: 'message-role' }, 'You'), h('div', { class: 'message-body' }, text));
}

/** The message list of the open conversation. */
export class Thread {
  readonly list = byId<HTMLOListElement>('messages');
  private readonly scroller = byId('messages-scroller');
  private readonly welcome = byId('welcome');

  /** Shows stored messages (replacing what was shown). */
  show(messages: Message[]): void {
    clear(this.list);
    let lastUserId: string | undefined;
    for (const m of messages) {
      if (m.role === 'user') {
        lastUserId = m.id;
        this.list.appendChild(userMessage(m.content, m.id));
      } else if (m.role === 'assistant') {
        // An answer still being generated (here or in another tab) is shown in progress, not as
        // incomplete; reloading shows more of it.
        const inProgress = m.status === 'streaming';
        const view = new AnswerView(inProgress);
        view.setText(m.content);
        if (inProgress) view.note('Still being generated — reload to see the rest.');
        else view.finish(m.status === 'complete' ? 'complete' : m.status, storedNote(m));
        view.details(m);
        const traceId = lastUserId ? traceFor(lastUserId) : undefined;
        if (traceId) view.linkTrace(traceId);
        this.list.appendChild(view.el);
      }
    }
    this.refreshWelcome();
    this.scrollToEnd(true);
  }

  /** Adds an element at the end. */
  add(el: HTMLElement): void {
    this.list.appendChild(el);
    this.refreshWelcome();
    this.scrollToEnd(true);
  }

  /** The last element, if it is an answer. */
  lastAnswer(): HTMLLIElement | null {
    const last = this.list.lastElementChild;
    return last instanceof HTMLLIElement && last.classList.contains('assistant') ? last : null;
  }

  /** The last user message on screen. */
  lastUser(): HTMLLIElement | null {
    const users = this.list.querySelectorAll<HTMLLIElement>('li.user');
    return users[users.length - 1] ?? null;
  }

  refreshWelcome(): void {
    this.welcome.hidden = this.list.childElementCount > 0;
  }

  /** Follows the stream, unless the reader scrolled up to read. */
  scrollToEnd(force = false): void {
    const nearEnd = this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 120;
    if (force || nearEnd) this.scroller.scrollTop = this.scroller.scrollHeight;
  }
}

