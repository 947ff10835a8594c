import type { HistoryCandidate } from './history.js';
import type { ConversationSettings } from '../conversations/settings.js';

/**
 * What a send needs to start inference before the database has answered: the conversation's
 * owner and model, and its newest messages that history may use (failed answers excluded),
 * newest first.
 */
export interface CachedConversation {
  userId: string;
  modelTag: string | null;
  /** The conversation's settings (undefined: none). */
  settings?: ConversationSettings;
  /** conversations.history_version (bigint, in decimal) that `recent` is the history of. */
  version: string;
  recent: HistoryCandidate[];
}

/** The version after `version` (every message write adds one). */
export function nextVersion(version: string): string {
  return (BigInt(version) + 1n).toString();
}

interface Entry {
  value: CachedConversation;
  chars: number;
}

// Per cached message, beside its text: the object, its fields, the array slot.
const MESSAGE_OVERHEAD_CHARS = 64;
const ENTRY_OVERHEAD_CHARS = 256;

function sizeOf(value: CachedConversation): number {
  let chars = ENTRY_OVERHEAD_CHARS;
  for (const message of value.recent) chars += message.content.length + MESSAGE_OVERHEAD_CHARS;
  return chars;
}

/**
 * The recent history of conversations this process sent to or read lately, so a send can
 * start inference without a database round trip first. It is a guess, never the truth: each
 * entry carries the conversation's history_version (bumped by the database on every message
 * write, whoever writes), the statement that saves the user message returns the version it
 * locked, and the answer is only streamed to the client once the two agree (else inference is
 * started again on the database's history). So a stale entry — another replica wrote to the
 * conversation, a write here was not mirrored — costs a restart, never a wrong answer.
 *
 * Bounded by characters (an LRU: Map insertion order): at most `maxChars` of message text
 * plus a fixed overhead per entry and message; `maxChars` 0 turns the cache off.
 */
export class HistoryCache {
  private readonly entries = new Map<string, Entry>();
  private totalChars = 0;

  /**
   * @param maxChars budget of the whole cache (0: nothing is ever kept)
   * @param depth messages kept per conversation: the history window minus the new message
   */
  constructor(
    readonly maxChars: number,
    readonly depth: number,
  ) {}

  /** Characters accounted for now (text plus overheads). */
  get chars(): number {
    return this.totalChars;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cached conversation when it is there and `userId`'s; marks it recently used. */
  get(conversationId: string, userId: string): CachedConversation | undefined {
    const entry = this.entries.get(conversationId);
    if (!entry || entry.value.userId !== userId) return undefined;
    this.entries.delete(conversationId);
    this.entries.set(conversationId, entry);
    return entry.value;
  }

  /**
   * Caches what the database just said of a conversation (its newest `depth` messages kept),
   * unless the entry already holds a newer version of it (answers arrive in any order).
   */
  set(conversationId: string, value: CachedConversation): void {
    const current = this.entries.get(conversationId);
    if (current && current.value.userId === value.userId && BigInt(current.value.version) > BigInt(value.version)) return;
    this.delete(conversationId);
    if (this.maxChars === 0) return;
    const kept: CachedConversation = { userId: value.userId, modelTag: value.modelTag, version: value.version, recent: value.recent.slice(0, this.depth) };
    if (value.settings) kept.settings = value.settings;
    const chars = sizeOf(kept);
    // One conversation may not push out everything else: at most a quarter of the budget.
    if (chars > this.maxChars / 4) return;
    this.entries.set(conversationId, { value: kept, chars });
    this.totalChars += chars;
    this.evict();
  }

  /**
   * Mirrors one message write that found the conversation at `fromVersion`: the entry moves to
   * the next version, with `message` at the newest end (none: a write history does not show,
   * such as a failed answer). An entry at another version no longer matches: it is forgotten.
   */
  advance(conversationId: string, fromVersion: string, message?: HistoryCandidate): void {
    const entry = this.entries.get(conversationId);
    if (!entry) return;
    if (entry.value.version !== fromVersion) return this.delete(conversationId);
    const recent = message ? [message, ...entry.value.recent] : entry.value.recent;
    this.set(conversationId, { ...entry.value, version: nextVersion(fromVersion), recent });
  }

  /** Forgets a conversation (changed in a way not mirrored here, or deleted). */
  delete(conversationId: string): void {
    const entry = this.entries.get(conversationId);
    if (!entry) return;
    this.entries.delete(conversationId);
    this.totalChars -= entry.chars;
  }

  private evict(): void {
    for (const [id, entry] of this.entries) {
      if (this.totalChars <= this.maxChars) return;
      this.entries.delete(id);
      this.totalChars -= entry.chars;
    }
  }
}
