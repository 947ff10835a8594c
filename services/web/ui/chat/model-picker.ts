/**
 * The model of the open conversation: a picker filled from `GET /api/models`. A model that is
 * not loaded cannot answer (inference serves the loaded one; an administrator swaps models),
 * so it is listed but disabled, and the reason is written next to the picker. The choice is
 * stored on the conversation (`PUT /api/conversations/:id {model_tag}`); for a new chat it is
 * kept until the conversation is created.
 */
import { apiJson, type TokenSource } from '../lib/api.js';
import { byId, clear, h } from '../lib/dom.js';
import { conversationApiPath } from '../lib/ids.js';
import type { Conversation } from './types.js';

/** One model as inference lists it. */
export interface ModelInfo {
  id: string;
  engine?: string;
  loaded: boolean;
}

interface ModelList {
  models: ModelInfo[];
  current_model: string | null;
}

/** What the picker needs from the page. */
export interface PickerHost {
  auth: TokenSource;
  fail(err: unknown): void;
  /** The open conversation changed (its model was stored). */
  changed(conversation: Conversation): void;
}

const NOT_LOADED = 'not loaded: an administrator can load it (POST /api/models/swap)';

/** The model picker of the thread header. */
export class ModelPicker {
  private readonly select = byId<HTMLSelectElement>('model-picker');
  private readonly reason = byId('model-reason');
  private models: ModelList | undefined;
  private conversation: Conversation | null = null;
  /** The choice for a chat not created yet. */
  private pending: string | null = null;

  constructor(private readonly host: PickerHost) {
    this.select.addEventListener('change', () => void this.choose(this.select.value || null));
  }

  /** Shows the model of `conversation` (null: a new chat). */
  async show(conversation: Conversation | null): Promise<void> {
    this.conversation = conversation;
    if (!conversation) this.pending = null;
    if (!this.models) {
      try {
        this.models = await apiJson<ModelList>('/api/models', {}, this.host.auth);
      } catch {
        // Inference unreachable: the picker says so, sending still tries the default.
        this.models = undefined;
      }
    }
    this.render();
  }

  /** The model a send uses now: the conversation's, else the loaded one. */
  current(): string | null {
    const chosen = this.conversation ? this.conversation.model_tag : this.pending;
    return chosen ?? this.models?.current_model ?? null;
  }

  /** The model a new conversation is created with (null: the default). */
  forNewConversation(): string | null {
    return this.pending;
  }

  private render(): void {
    const chosen = this.conversation ? this.conversation.model_tag : this.pending;
    clear(this.select);
    const list = this.models;
    const loaded = list?.current_model ?? null;
    this.select.appendChild(h('option', { value: '' }, loaded ? `Default (${loaded})` : 'Default model'));
    for (const m of list?.models ?? []) {
      this.select.appendChild(h('option', { value: m.id, disabled: !m.loaded, title: m.loaded ? null : NOT_LOADED }, m.loaded ? m.id : `${m.id} (not loaded)`));
    }
    // A stored model inference no longer lists still shows, as what it is.
    if (chosen && !list?.models.some((m) => m.id === chosen)) this.select.appendChild(h('option', { value: chosen, disabled: true }, `${chosen} (unavailable)`));
    this.select.value = chosen ?? '';
    const info = list?.models.find((m) => m.id === chosen);
    if (!list) this.reason.textContent = 'The model list is unavailable (inference unreachable).';
    else if (chosen && !info) this.reason.textContent = `“${chosen}” is not served by inference: answers will fail until another model is picked.`;
    else if (info && !info.loaded) this.reason.textContent = `“${chosen}” is ${NOT_LOADED}; answers will fail until it is loaded or another model is picked.`;
    else {
      const unloaded = list.models.filter((m) => !m.loaded).length;
      this.reason.textContent = unloaded ? `${unloaded} other model${unloaded === 1 ? ' is' : 's are'} ${NOT_LOADED.replace('it', 'one')}.` : '';
    }
    this.reason.classList.toggle('warn', Boolean(chosen && (!info || !info.loaded)));
  }

  private async choose(model: string | null): Promise<void> {
    const conversation = this.conversation;
    if (!conversation) {
      this.pending = model;
      return this.render();
    }
    try {
      const updated = await apiJson<Conversation>(conversationApiPath(conversation.id), { method: 'PUT', body: { model_tag: model } }, this.host.auth);
      if (this.conversation?.id === updated.id) this.conversation = updated;
      this.host.changed(updated);
    } catch (err) {
      this.host.fail(err);
    }
    this.render();
  }
}
