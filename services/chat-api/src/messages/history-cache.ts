import type { HistoryCandidate } from './history.js';

/**
 * What a send needs to start inference before the database has answered: the conversation's
 * owner and model, and its newest messages that history may use (failed answers excluded),
 * newest first.
 */
export interface CachedConversation {
  userId: string;
  modelTag: string | null;
  recent: HistoryCandidate[];
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
 * start inference without a database round trip first. It is a guess, never the truth: the
 * statement that saves the user message also reads the history the database holds, and the
 * answer is only streamed to the client once the two agree (else inference is started again
 * on the database's history). So a stale entry — another replica wrote to the conversation, a
 * write here was not mirrored — costs a restart, never a wrong answer.
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

  /** Caches what the database just said of a conversation (its newest `depth` messages kept). */
  set(conversationId: string, value: CachedConversation): void {
    this.delete(conversationId);
    if (this.maxChars === 0) return;
    const kept: CachedConversation = { userId: value.userId, modelTag: value.modelTag, recent: value.recent.slice(0, this.depth) };
    const chars = sizeOf(kept);
    // One conversation may not push out everything else: at most a quarter of the budget.
    if (chars > this.maxChars / 4) return;
    this.entries.set(conversationId, { value: kept, chars });
    this.totalChars += chars;
    this.evict();
  }

  /** Mirrors a message just stored at the newest end of a conversation, if it is cached. */
  push(conversationId: string, message: HistoryCandidate): void {
    const entry = this.entries.get(conversationId);
    if (!entry) return;
    this.set(conversationId, { ...entry.value, recent: [message, ...entry.value.recent] });
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

/** Whether two newest-first message lists are the same history (role, text, token count). */
export function sameRecent(a: readonly HistoryCandidate[], b: readonly HistoryCandidate[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as HistoryCandidate;
    const y = b[i] as HistoryCandidate;
    if (x.role !== y.role || x.content !== y.content || x.token_count !== y.token_count) return false;
  }
  return true;
}
