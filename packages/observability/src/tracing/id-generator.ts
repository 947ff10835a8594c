import { randomFillSync } from 'node:crypto';
import type { IdGenerator } from '@opentelemetry/sdk-trace-base';

// Ids are cut from a pool of random hex, refilled from the OS CSPRNG 2 KiB at a time: one
// syscall and one hex conversion per ~170 spans instead of a buffer round-trip per id.
const POOL_BYTES = 2048;
let pool = '';
let offset = 0;

function randomHex(chars: number): string {
  if (offset + chars > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES)).toString('hex');
    offset = 0;
  }
  const id = pool.slice(offset, offset + chars);
  offset += chars;
  // An all-zero id is invalid in W3C trace context; 2^-64 odds, but never emit one.
  return /^0+$/.test(id) ? randomHex(chars) : id;
}

/**
 * An id generator that can be told the trace id of the next root span. A request that
 * arrives with only `x-trace-id` must continue that trace without inventing a parent span;
 * the SDK only takes a trace id from a parent, so the id is handed over here instead,
 * synchronously, right before `startSpan` consumes it.
 */
export class SeededIdGenerator implements IdGenerator {
  private pending: string | undefined;

  /** The next `generateTraceId()` returns `traceId`. */
  seedNextTraceId(traceId: string): void {
    this.pending = traceId;
  }

  /** Drops an unused seed (when the SDK did not ask, e.g. a parent was present). */
  clearSeed(): void {
    this.pending = undefined;
  }

  generateTraceId(): string {
    const seeded = this.pending;
    if (seeded !== undefined) {
      this.pending = undefined;
      return seeded;
    }
    return randomHex(32);
  }

  generateSpanId(): string {
    return randomHex(16);
  }
}
