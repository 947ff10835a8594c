/**
 * Search in the sidebar: the words typed are looked up in the user's conversation titles and
 * message text on the server (`GET /api/conversations/search`, services/chat-api/README.md);
 * while a query is typed, its results replace the conversation list. Snippets reach the page as
 * text nodes; matched words are wrapped in <mark> from the offsets the server returns.
 */
import { ApiError, apiJson, type TokenSource } from '../lib/api.js';
import { byId, clear, h } from '../lib/dom.js';
import { conversationPagePath } from '../lib/ids.js';
import type { Conversation } from './types.js';

/** One result of the search API. */
export interface SearchHit {
  conversation: Conversation;
  message: { id: string; role: string; created_at: string } | null;
  snippet: string;
  highlights: Array<[number, number]>;
}

interface SearchPage {
  results: SearchHit[];
  next_cursor: string | null;
}

/** What search needs from the page. */
export interface SearchHost {
  auth: TokenSource;
  open(id: string): void;
  fail(err: unknown): void;
}

const DEBOUNCE_MS = 250;
const PAGE_SIZE = 20;

/** The snippet with its matched words marked. */
export function markedSnippet(snippet: string, highlights: Array<[number, number]>): Node[] {
  const nodes: Node[] = [];
  let at = 0;
  for (const [start, end] of [...highlights].sort((a, b) => a[0] - b[0])) {
    if (start < at || end > snippet.length || end <= start) continue;
    if (start > at) nodes.push(document.createTextNode(snippet.slice(at, start)));
    nodes.push(h('mark', {}, snippet.slice(start, end)));
    at = end;
  }
  if (at < snippet.length) nodes.push(document.createTextNode(snippet.slice(at)));
  return nodes;
}

/** The search box and its result list. */
export class ConversationSearch {
  private readonly input = byId<HTMLInputElement>('conversation-search');
  private readonly results = byId<HTMLUListElement>('search-results');
  private readonly status = byId('search-status');
  private readonly list = byId('conversation-list');
  private readonly more = byId('search-more');
  private timer: ReturnType<typeof setTimeout> | undefined;
  private controller: AbortController | null = null;
  private query = '';
  private cursor: string | null = null;

  constructor(private readonly host: SearchHost) {
    this.input.addEventListener('input', () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.run(this.input.value.trim()), DEBOUNCE_MS);
    });
    this.input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && this.input.value) {
        ev.preventDefault();
        ev.stopPropagation();
        this.reset();
      } else if (ev.key === 'Enter') {
        ev.preventDefault();
        clearTimeout(this.timer);
        void this.run(this.input.value.trim());
      }
    });
    this.more.addEventListener('click', () => void this.run(this.query, this.cursor));
  }

  /** Empties the box and shows the conversation list again. */
  reset(): void {
    this.input.value = '';
    void this.run('');
  }

  /** True while results replace the list. */
  get active(): boolean {
    return this.query !== '';
  }

  private async run(query: string, cursor: string | null = null): Promise<void> {
    this.controller?.abort();
    this.query = query;
    const searching = query !== '';
    this.list.hidden = searching;
    this.results.hidden = !searching;
    // The list's own "Load more" and "No conversations" belong to the list.
    document.body.classList.toggle('searching', searching);
    if (!searching) {
      clear(this.results);
      this.status.textContent = '';
      this.more.hidden = true;
      return;
    }
    if (!/[\p{L}\p{N}]/u.test(query)) {
      // chat-api would refuse it (400): say so without asking.
      clear(this.results);
      this.more.hidden = true;
      this.status.textContent = 'Type a letter or a digit to search for.';
      return;
    }
    const controller = new AbortController();
    this.controller = controller;
    this.status.textContent = 'Searching…';
    try {
      const path = `/api/conversations/search?q=${encodeURIComponent(query)}&limit=${PAGE_SIZE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await apiJson<SearchPage>(path, { signal: controller.signal }, this.host.auth);
      if (controller.signal.aborted) return;
      if (!cursor) clear(this.results);
      for (const hit of page.results) this.results.appendChild(this.row(hit));
      this.cursor = page.next_cursor;
      this.more.hidden = !page.next_cursor;
      const count = this.results.childElementCount;
      this.status.textContent = count === 0 ? `No conversation matches “${query}”.` : `${count}${page.next_cursor ? '+' : ''} conversation${count === 1 ? '' : 's'} match “${query}”.`;
    } catch (err) {
      if (controller.signal.aborted) return;
      if (err instanceof ApiError && err.status === 400) {
        clear(this.results);
        this.status.textContent = err.message;
      } else this.host.fail(err);
    }
  }

  private row(hit: SearchHit): HTMLLIElement {
    const c = hit.conversation;
    const title = c.title ?? 'New chat';
    const link = h(
      'a',
      { href: conversationPagePath(c.id), class: 'conversation-link search-hit', title },
      h('span', { class: 'conversation-title' }, title),
      h('span', { class: 'search-snippet' }, ...markedSnippet(hit.snippet, hit.highlights)),
    );
    link.addEventListener('click', (ev) => {
      if (ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
      ev.preventDefault();
      this.host.open(c.id);
    });
    return h('li', { class: 'conversation', 'data-id': c.id }, link);
  }
}
