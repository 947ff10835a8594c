/** An answer whose streamed text waits to be written to the database as a part. */
export interface PartFlushable {
  /** Hands the text held so far to the database (see AnswerStream.flushPart). */
  flushDue(): void;
}

/**
 * One clock for the time flushes of every answer streaming on this instance: an answer that
 * holds text not yet written is flushed at the next tick, at most `intervalMs` after its
 * oldest unwritten token arrived. All answers due at a tick are handed over in the same turn
 * of the event loop, so the group commit writes them in one statement (up to its batch size)
 * — about one statement a second whether 10 or 1,000 answers stream, instead of one per answer
 * when each answer kept its own clock. The timer runs only while an answer is due and never
 * holds the process open.
 */
export class PartFlushClock {
  private due = new Set<PartFlushable>();
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly intervalMs: number) {}

  /** Answers waiting for the next tick. */
  get size(): number {
    return this.due.size;
  }

  /** `answer` holds unwritten text: flushed at the next tick (once, however often it is added). */
  add(answer: PartFlushable): void {
    this.due.add(answer);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.tick(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** `answer` ended (or flushed its text itself): not flushed by the clock. */
  delete(answer: PartFlushable): void {
    this.due.delete(answer);
  }

  /** Flushes every answer due; the timer stops when none was. */
  tick(): void {
    const due = this.due;
    if (due.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    this.due = new Set();
    for (const answer of due) answer.flushDue();
  }
}
