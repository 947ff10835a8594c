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
  return id.charCodeAt(0) === 48 /* 0 */ && /^0+$/.test(id) ? randomHex(chars) : id;
}

/** Trace and span ids cut from a pool of CSPRNG hex. */
export class PooledIdGenerator implements IdGenerator {
  generateTraceId(): string {
    return randomHex(32);
  }

  generateSpanId(): string {
    return randomHex(16);
  }
}
