import type { ChatTurn } from '../messages/history.js';

// Settings per conversation (migration 0008_search_and_settings; services/chat-api/README.md):
// sent to inference with every send and regenerate, unless the request names its own.

/** The settings of a conversation; null is inference's default. */
export interface ConversationSettings {
  system_prompt: string | null;
  temperature: number | null;
  max_tokens: number | null;
}

/** Bounds of the settings (the checks of migration 0008 are the same). */
export const MAX_SYSTEM_PROMPT_CHARS = 8000;
export const MIN_TEMPERATURE = 0;
export const MAX_TEMPERATURE = 2;
export const MAX_MAX_TOKENS = 32_768;

export const NO_SETTINGS: ConversationSettings = { system_prompt: null, temperature: null, max_tokens: null };

/** JSON schema of the settings in a POST or PUT body: each may be null (back to the default). */
export const SETTINGS_SCHEMA = {
  // PostgreSQL text cannot hold NUL.
  system_prompt: { anyOf: [{ type: 'string', maxLength: MAX_SYSTEM_PROMPT_CHARS, pattern: '^[^\\u0000]*$' }, { type: 'null' }] },
  temperature: { anyOf: [{ type: 'number', minimum: MIN_TEMPERATURE, maximum: MAX_TEMPERATURE }, { type: 'null' }] },
  max_tokens: { anyOf: [{ type: 'integer', minimum: 1, maximum: MAX_MAX_TOKENS }, { type: 'null' }] },
} as const;

/** The columns of the settings. */
export const SETTINGS_COLUMNS = ['system_prompt', 'temperature', 'max_tokens'] as const;

/** The settings of a row (missing columns: the defaults). */
export function settingsOf(row: Partial<ConversationSettings>): ConversationSettings {
  return { system_prompt: row.system_prompt ?? null, temperature: row.temperature ?? null, max_tokens: row.max_tokens ?? null };
}

/** True when both name the same settings. */
export function sameSettings(a: Partial<ConversationSettings> | undefined, b: Partial<ConversationSettings> | undefined): boolean {
  const x = settingsOf(a ?? {});
  const y = settingsOf(b ?? {});
  return x.system_prompt === y.system_prompt && x.temperature === y.temperature && x.max_tokens === y.max_tokens;
}

/**
 * What inference is sent for `history` in a conversation with `settings`: the system prompt
 * first (an empty one is none), and the temperature and max tokens of the request, else the
 * conversation's, else none (inference's defaults).
 */
export function generationSettings(
  history: ChatTurn[],
  settings: Partial<ConversationSettings>,
  request: { temperature?: number; maxTokens?: number },
): { messages: ChatTurn[]; temperature?: number; max_tokens?: number } {
  const prompt = settings.system_prompt?.trim() ? settings.system_prompt : undefined;
  const out: { messages: ChatTurn[]; temperature?: number; max_tokens?: number } = { messages: prompt ? [{ role: 'system', content: prompt }, ...history] : history };
  const temperature = request.temperature ?? settings.temperature ?? undefined;
  const maxTokens = request.maxTokens ?? settings.max_tokens ?? undefined;
  if (temperature !== undefined) out.temperature = temperature;
  if (maxTokens !== undefined) out.max_tokens = maxTokens;
  return out;
}
