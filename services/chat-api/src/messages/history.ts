/** A message as sent to inference. */
export interface ChatTurn {
  role: 'user' | 'assistant' | 'system';
  content: string;
}

/** A stored message, as the history window sees it. */
export interface HistoryCandidate extends ChatTurn {
  token_count: number | null;
}

/** Limits of the history window. */
export interface HistoryLimits {
  maxMessages: number;
  maxTokens: number;
}

/**
 * Tokens a message costs in the budget: its recorded token_count when known, else an
 * estimate of one token per four characters (code points), rounded up.
 */
export function estimateTokens(message: { content: string; token_count: number | null }): number {
  if (message.token_count !== null && message.token_count >= 0) return message.token_count;
  let chars = 0;
  for (const _ of message.content) chars++;
  return Math.ceil(chars / 4);
}

/**
 * Picks what inference sees: walking back from the newest message, at most `maxMessages`
 * messages and `maxTokens` estimated tokens, stopping at the first message that does not
 * fit (so the window stays contiguous); returned oldest first. The newest message (the one
 * being answered) is always included, even if it alone exceeds the budget.
 *
 * @param newestFirst candidates ordered newest first, the message to answer at index 0
 */
export function selectHistory(newestFirst: readonly HistoryCandidate[], limits: HistoryLimits): { turns: ChatTurn[]; estimatedTokens: number } {
  const picked: ChatTurn[] = [];
  let tokens = 0;
  for (const message of newestFirst) {
    if (picked.length >= limits.maxMessages) break;
    const cost = estimateTokens(message);
    if (picked.length > 0 && tokens + cost > limits.maxTokens) break;
    picked.push({ role: message.role, content: message.content });
    tokens += cost;
  }
  return { turns: picked.reverse(), estimatedTokens: tokens };
}
