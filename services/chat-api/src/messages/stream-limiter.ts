/**
 * Counts open answer streams per user and refuses more than `maxPerUser`. A slot is taken
 * before the user's message is saved, so a refused request (429) leaves nothing behind.
 */
export class StreamLimiter {
  private readonly open = new Map<string, number>();

  constructor(private readonly maxPerUser: number) {}

  /** Takes a slot for `userId`; returns its release function, or undefined when full. */
  tryAcquire(userId: string): (() => void) | undefined {
    const current = this.open.get(userId) ?? 0;
    if (current >= this.maxPerUser) return undefined;
    this.open.set(userId, current + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(userId) ?? 1) - 1;
      if (left <= 0) this.open.delete(userId);
      else this.open.set(userId, left);
    };
  }

  /** Streams open for `userId`. */
  count(userId: string): number {
    return this.open.get(userId) ?? 0;
  }
}
