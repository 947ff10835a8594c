import type { AnswerOutcome, AnswerSurface, ChatMetrics } from '../metrics.js';

/**
 * The answer SLIs (docs/slos.md): every answer is counted once, when it ends, by how it ended
 * — whatever HTTP status carried it — and its user-perceived time to first token is measured
 * from the send reaching chat-api to the first token leaving it.
 */
export interface AnswerRecorder {
  /** The first token left for the client (only the first call counts). */
  firstToken(): void;
  /** The answer ended; only the first call counts. `reason` is a bounded code. */
  end(outcome: AnswerOutcome, reason: string, clientGone: boolean): void;
}

/** Lower-case, `_`-separated and bounded: a reason is a code, never free text. */
export function reasonLabel(reason: string): string {
  const label = reason.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return label.slice(0, 48) || 'unspecified';
}

/** Starts measuring one answer, from `startedAt` (performance.now() when the send arrived). */
export function recordAnswer(metrics: ChatMetrics, surface: AnswerSurface, startedAt: number): AnswerRecorder {
  return new AnswerSli(metrics, surface, startedAt);
}

// One object per answer in flight, not an object and two closures over a context: a thousand
// open streams hold a thousand of these.
class AnswerSli implements AnswerRecorder {
  private sawToken = false;
  private ended = false;

  constructor(
    private readonly metrics: ChatMetrics,
    private readonly surface: AnswerSurface,
    private readonly startedAt: number,
  ) {}

  firstToken(): void {
    if (this.sawToken) return;
    this.sawToken = true;
    this.metrics.answerTimeToFirstToken.observe({ surface: this.surface }, (performance.now() - this.startedAt) / 1000);
  }

  end(outcome: AnswerOutcome, reason: string, clientGone: boolean): void {
    if (this.ended) return;
    this.ended = true;
    this.metrics.answers.inc({ surface: this.surface, outcome, reason: outcome === 'complete' ? 'none' : reasonLabel(reason), client: clientGone ? 'gone' : 'connected' });
  }
}

/**
 * A send refused with an HTTP 5xx before any byte of an answer (inference unreachable, over
 * capacity, the database down): an answer the user did not get, counted as `refused` with the
 * error code as its reason.
 */
export function recordRefusedSend(metrics: ChatMetrics, surface: AnswerSurface, errorCode: string): void {
  metrics.answers.inc({ surface, outcome: 'refused', reason: reasonLabel(errorCode.replace(/^CHAT_/, '')), client: 'connected' });
}
