/**
 * The sidebar: the user's conversations, newest first with favourites on top, paginated with
 * "Load more", and the inline actions on each (open, rename, favourite, delete).
 */
import { apiJson, type TokenSource } from '../lib/api.js';
import { ago, byId, clear, h, icon, ICONS } from '../lib/dom.js';
import { conversationApiPath, conversationPagePath } from '../lib/ids.js';
import { newTraceId } from '../lib/trace.js';
import type { Conversation, ConversationPage } from './types.js';
import { plainTitle } from './titles.js';

const PAGE_SIZE = 20;

/** What the list needs from the page around it. */
export interface ListHost {
  auth: TokenSource;
  /** The conversation shown now (highlighted in the list). */
  currentId(): string | null;
  /** Navigates to a conversation (null: a new chat). */
  open(id: string | null): void;
  /** The current conversation was renamed or (un)favourited. */
  changed(conversation: Conversation): void;
  /** Shows a failure the user should see. */
  fail(err: unknown): void;
  /** Asks the user to confirm a destructive action. */
  confirm(text: string): Promise<boolean>;
}

/** The conversation list and its pagination state. */
export class ConversationList {
  private items: Conversation[] = [];
  private cursor: string | null = null;
  private readonly list = byId<HTMLUListElement>('conversation-list');
  private readonly more = byId<HTMLButtonElement>('load-more');
  private readonly empty = byId('list-empty');

  constructor(private readonly host: ListHost) {
    this.more.addEventListener('click', () => void this.loadMore());
  }

  /** Reloads the list from the top (after sign-in, or when an answer changed the order). */
  async reload(traceId = newTraceId()): Promise<void> {
    // As many as are shown now (pages already loaded stay loaded), within chat-api's cap of 100.
    const limit = Math.min(100, Math.max(PAGE_SIZE, this.items.length));
    const page = await apiJson<ConversationPage>(`/api/conversations?limit=${limit}`, { traceId }, this.host.auth);
    this.items = page.conversations;
    this.cursor = page.next_cursor;
    this.render();
  }

  /** Appends the next page. */
  async loadMore(): Promise<void> {
    if (!this.cursor) return;
    this.more.disabled = true;
    try {
      const page = await apiJson<ConversationPage>(`/api/conversations?limit=${PAGE_SIZE}&cursor=${encodeURIComponent(this.cursor)}`, {}, this.host.auth);
      const known = new Set(this.items.map((c) => c.id));
      this.items.push(...page.conversations.filter((c) => !known.has(c.id)));
      this.cursor = page.next_cursor;
      this.render();
    } catch (err) {
      this.host.fail(err);
    } finally {
      this.more.disabled = false;
    }
  }

  /** Puts a conversation (new or changed) at the top of the list. */
  upsert(conversation: Conversation): void {
    this.items = [conversation, ...this.items.filter((c) => c.id !== conversation.id)];
    this.render();
  }

  /** The conversation with this id, when loaded. */
  get(id: string): Conversation | undefined {
    return this.items.find((c) => c.id === id);
  }

  /** Redraws the list; favourites first, each group newest first. */
  render(): void {
    const current = this.host.currentId();
    const byRecency = [...this.items].sort((a, b) => b.updated_at.localeCompare(a.updated_at));
    const ordered = [...byRecency.filter((c) => c.favorited), ...byRecency.filter((c) => !c.favorited)];
    clear(this.list);
    for (const c of ordered) this.list.appendChild(this.row(c, c.id === current));
    this.empty.hidden = this.items.length > 0;
    this.more.hidden = !this.cursor;
  }

  private row(c: Conversation, active: boolean): HTMLLIElement {
    const title = plainTitle(c.title);
    const link = h('a', { href: conversationPagePath(c.id), class: 'conversation-link', 'aria-current': active ? 'page' : null, title },
      h('span', { class: 'conversation-title' }, title),
      h('span', { class: 'conversation-time' }, ago(c.updated_at)));
    link.addEventListener('click', (ev) => {
      if (ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
      ev.preventDefault();
      this.host.open(c.id);
    });
    const star = h('button', { type: 'button', class: `icon-button star${c.favorited ? ' on' : ''}`, 'aria-pressed': String(c.favorited), 'aria-label': `Favourite “${title}”`, title: c.favorited ? 'Remove from favourites' : 'Add to favourites' }, icon([...ICONS.star]));
    star.addEventListener('click', () => void this.update(c, { favorited: !c.favorited }));
    const rename = h('button', { type: 'button', class: 'icon-button', 'aria-label': `Rename “${title}”`, title: 'Rename' }, icon([...ICONS.pencil]));
    const remove = h('button', { type: 'button', class: 'icon-button', 'aria-label': `Delete “${title}”`, title: 'Delete' }, icon([...ICONS.trash]));
    const li = h('li', { class: `conversation${active ? ' active' : ''}${c.favorited ? ' favourite' : ''}`, 'data-id': c.id }, link, h('span', { class: 'conversation-actions' }, star, rename, remove));
    rename.addEventListener('click', () => this.startRename(li, c));
    remove.addEventListener('click', () => void this.remove(c));
    return li;
  }

  /** Swaps the title for a text field: Enter saves, Escape (or leaving it unchanged) cancels. */
  private startRename(li: HTMLLIElement, c: Conversation): void {
    const input = h('input', { type: 'text', class: 'rename-input', value: c.title ?? '', maxlength: 200, 'aria-label': 'New title (Enter saves, Escape cancels)' });
    let finished = false;
    const finish = (save: boolean): void => {
      if (finished) return;
      finished = true;
      const title = input.value.trim();
      if (save && title && title !== c.title) void this.update(c, { title });
      else this.render();
    };
    input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') {
        ev.preventDefault();
        finish(true);
      } else if (ev.key === 'Escape') {
        ev.preventDefault();
        finish(false);
      }
    });
    input.addEventListener('blur', () => finish(true));
    li.replaceChildren(input);
    input.focus();
    input.select();
  }

  private async update(c: Conversation, change: { title?: string; favorited?: boolean }): Promise<void> {
    try {
      const updated = await apiJson<Conversation>(conversationApiPath(c.id), { method: 'PUT', body: change }, this.host.auth);
      this.items = this.items.map((x) => (x.id === c.id ? updated : x));
      this.render();
      if (c.id === this.host.currentId()) this.host.changed(updated);
      this.focusRow(c.id, change.favorited !== undefined ? '.star' : '.conversation-link');
    } catch (err) {
      this.render();
      this.host.fail(err);
    }
  }

  private async remove(c: Conversation): Promise<void> {
    if (!(await this.host.confirm(`“${c.title ?? 'New chat'}” and all its messages will be deleted.`))) return;
    try {
      await apiJson<void>(conversationApiPath(c.id), { method: 'DELETE' }, this.host.auth);
      this.items = this.items.filter((x) => x.id !== c.id);
      this.render();
      if (c.id === this.host.currentId()) this.host.open(null);
    } catch (err) {
      this.host.fail(err);
    }
  }

  private focusRow(id: string, selector: string): void {
    this.list.querySelector<HTMLElement>(`li[data-id="${CSS.escape(id)}"] ${selector}`)?.focus();
  }
}
