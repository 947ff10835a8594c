import { RandomIdGenerator, type IdGenerator } from '@opentelemetry/sdk-trace-base';

/**
 * An id generator that can be told the trace id of the next root span. A request that
 * arrives with only `x-trace-id` must continue that trace without inventing a parent span;
 * the SDK only takes a trace id from a parent, so the id is handed over here instead,
 * synchronously, right before `startSpan` consumes it.
 */
export class SeededIdGenerator implements IdGenerator {
  private readonly random = new RandomIdGenerator();
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
    return this.random.generateTraceId();
  }

  generateSpanId(): string {
    return this.random.generateSpanId();
  }
}
