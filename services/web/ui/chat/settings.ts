/**
 * Settings of the open conversation: a system prompt, a temperature and a cap on the answer's
 * tokens, stored on the conversation (`PUT /api/conversations/:id`, services/chat-api/README.md)
 * and sent by chat-api with every send and regenerate. Empty fields are inference's defaults.
 * chat-api checks the bounds; its 400 message is shown in the dialog as it is.
 */
import { ApiError, apiJson, type TokenSource } from '../lib/api.js';
import { byId } from '../lib/dom.js';
import { conversationApiPath } from '../lib/ids.js';
import type { Conversation } from './types.js';

/** The settings of a conversation (null: inference's default). */
export interface Settings {
  system_prompt: string | null;
  temperature: number | null;
  max_tokens: number | null;
}

const NONE: Settings = { system_prompt: null, temperature: null, max_tokens: null };

/** What the settings dialog needs from the page. */
export interface SettingsHost {
  auth: TokenSource;
  changed(conversation: Conversation): void;
}

/** Reads the form; a field that is not a number is reported by name. */
export function readSettings(prompt: string, temperature: string, maxTokens: string): Settings | string {
  const t = temperature.trim() === '' ? null : Number(temperature);
  if (t !== null && !Number.isFinite(t)) return 'Temperature must be a number from 0 to 2.';
  const m = maxTokens.trim() === '' ? null : Number(maxTokens);
  if (m !== null && !Number.isInteger(m)) return 'Max tokens must be a whole number from 1 to 32768.';
  return { system_prompt: prompt.trim() === '' ? null : prompt, temperature: t, max_tokens: m };
}

/** The settings button, its dialog and the open conversation's settings. */
export class ConversationSettings {
  private readonly button = byId<HTMLButtonElement>('settings-button');
  private readonly dialog = byId<HTMLDialogElement>('settings-dialog');
  private readonly form = byId<HTMLFormElement>('settings-form');
  private readonly prompt = byId<HTMLTextAreaElement>('settings-system-prompt');
  private readonly temperature = byId<HTMLInputElement>('settings-temperature');
  private readonly maxTokens = byId<HTMLInputElement>('settings-max-tokens');
  private readonly error = byId('settings-error');
  private readonly summary = byId('settings-summary');
  private conversation: Conversation | null = null;
  private pending: Settings = NONE;

  constructor(private readonly host: SettingsHost) {
    this.button.addEventListener('click', () => this.open());
    byId('settings-cancel').addEventListener('click', () => this.dialog.close());
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.save();
    });
  }

  /** Shows the settings of `conversation` (null: a new chat, whose settings wait for its creation). */
  show(conversation: Conversation | null): void {
    this.conversation = conversation;
    if (!conversation) this.pending = NONE;
    this.renderSummary();
  }

  /** The settings a new conversation is created with. */
  forNewConversation(): Partial<Settings> {
    const out: Partial<Settings> = {};
    for (const [key, value] of Object.entries(this.pending) as Array<[keyof Settings, Settings[keyof Settings]]>) if (value !== null) Object.assign(out, { [key]: value });
    return out;
  }

  private settings(): Settings {
    const c = this.conversation;
    return c ? { system_prompt: c.system_prompt ?? null, temperature: c.temperature ?? null, max_tokens: c.max_tokens ?? null } : this.pending;
  }

  private renderSummary(): void {
    const s = this.settings();
    const parts = [s.system_prompt ? 'system prompt' : null, s.temperature !== null ? `temperature ${s.temperature}` : null, s.max_tokens !== null ? `max ${s.max_tokens} tokens` : null].filter(Boolean);
    this.summary.textContent = parts.join(' · ');
    this.button.setAttribute('aria-label', parts.length ? `Conversation settings (${parts.join(', ')})` : 'Conversation settings');
  }

  private open(): void {
    const s = this.settings();
    this.prompt.value = s.system_prompt ?? '';
    this.temperature.value = s.temperature === null ? '' : String(s.temperature);
    this.maxTokens.value = s.max_tokens === null ? '' : String(s.max_tokens);
    this.error.hidden = true;
    this.dialog.showModal();
    this.prompt.focus();
  }

  private async save(): Promise<void> {
    const read = readSettings(this.prompt.value, this.temperature.value, this.maxTokens.value);
    if (typeof read === 'string') return this.showError(read);
    const conversation = this.conversation;
    if (!conversation) {
      this.pending = read;
      this.renderSummary();
      return this.dialog.close();
    }
    try {
      const updated = await apiJson<Conversation>(conversationApiPath(conversation.id), { method: 'PUT', body: read }, this.host.auth);
      if (this.conversation?.id === updated.id) this.conversation = updated;
      this.renderSummary();
      this.host.changed(updated);
      this.dialog.close();
    } catch (err) {
      this.showError(err instanceof ApiError || err instanceof Error ? err.message : String(err));
    }
  }

  private showError(text: string): void {
    this.error.textContent = text;
    this.error.hidden = false;
  }
}
