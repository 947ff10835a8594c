/** Where a streaming markdown text has settled into blocks that can no longer change (no DOM: unit-tested in Node). */

/**
 * Where the settled part of a streaming text ends: after the last blank line that is outside a
 * code fence and followed by a line that starts a new block (not indented: an indented line
 * may continue a list item). Scans only what was added since the last call.
 */
export class BlockBoundaries {
  /** Offset up to which complete lines were scanned. */
  private scanned = 0;
  private fence: string | null = null;
  /** A blank line outside a fence ended here; it settles when the next non-blank line is not indented. */
  private candidate: number | null = null;
  /** The settled prefix's length. */
  settled = 0;
  /** Every block end found, in order (the last one is {@link settled}). */
  readonly ends: number[] = [];

  private settle(at: number): void {
    if (at <= this.settled) return;
    this.settled = at;
    this.ends.push(at);
  }

  /** Scans `text` (the same text, grown) and returns the settled length. */
  update(text: string): number {
    for (;;) {
      const nl = text.indexOf('\n', this.scanned);
      if (nl === -1) break;
      const line = text.slice(this.scanned, nl);
      const lineStart = this.scanned;
      this.scanned = nl + 1;
      const fence = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
      if (this.fence !== null) {
        if (fence && fence[0] === this.fence[0] && fence.length >= this.fence.length && line.trim() === fence) this.fence = null;
        continue;
      }
      if (line.trim() === '') {
        this.candidate ??= lineStart;
        continue;
      }
      if (this.candidate !== null && !/^\s/.test(line)) this.settle(this.candidate);
      this.candidate = null;
      if (fence) this.fence = fence;
    }
    // The line being written: its first character already says whether a new block starts.
    if (this.fence === null && this.candidate !== null && this.scanned < text.length && !/^\s/.test(text[this.scanned] ?? ' ')) this.settle(this.candidate);
    return this.settled;
  }
}
