import type { TraceState } from '@opentelemetry/api';

/**
 * W3C Trace Context `tracestate`, as the Level 2 recommendation defines it (the w3c/trace-context
 * repository, spec/20-http_request_header_format.md): at most 32 list members `key=value`,
 * separated by commas with optional spaces and tabs around them; empty members allowed.
 *
 * A header that breaks any rule is dropped as a whole, never repaired member by member
 * (OpenTelemetry's own TraceState keeps the valid members of an invalid header, and uses the
 * older key grammar that refuses a key starting with a digit).
 */

/** Most list members a tracestate may hold. */
export const MAX_TRACESTATE_MEMBERS = 32;
/** Combined length this service propagates at most (the specification asks for at least 512). */
export const MAX_TRACESTATE_LENGTH = 512;
/** Members longer than this are the first dropped when the header must be shortened. */
const LONG_MEMBER = 128;

// key = ( lcalpha / DIGIT ) 0*255 ( keychar ); keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"
const KEY = /^[a-z0-9][a-z0-9_\-*/@]{0,255}$/;
// value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
// OWS around list members: spaces and horizontal tabs only.
const OWS = /^[ \t]+|[ \t]+$/g;

/** True when `key` is a valid tracestate key. */
export function isTraceStateKey(key: string): boolean {
  return KEY.test(key);
}

/** True when `value` is a valid tracestate value. */
export function isTraceStateValue(value: string): boolean {
  return VALUE.test(value);
}

/** An immutable, valid tracestate; `set`/`unset` return a new one (OpenTelemetry's interface). */
export class W3cTraceState implements TraceState {
  private constructor(private readonly members: ReadonlyArray<readonly [string, string]>) {}

  /** The empty tracestate. */
  static empty(): W3cTraceState {
    return new W3cTraceState([]);
  }

  /**
   * Parses a received header (several `tracestate` fields already joined with commas). Returns
   * undefined when any member is invalid or there are more than 32: the header is dropped as a
   * whole. A repeated key keeps its first (left-most) value. A valid header longer than 512
   * characters is shortened by whole members: those over 128 characters first, then from the
   * right.
   */
  static parse(header: string): W3cTraceState | undefined {
    const members: Array<readonly [string, string]> = [];
    const seen = new Set<string>();
    let count = 0;
    for (const raw of header.split(',')) {
      const member = raw.replace(OWS, '');
      if (member === '') continue;
      if (++count > MAX_TRACESTATE_MEMBERS) return undefined;
      const eq = member.indexOf('=');
      if (eq === -1) return undefined;
      const key = member.slice(0, eq);
      const value = member.slice(eq + 1);
      if (!KEY.test(key) || !VALUE.test(value)) return undefined;
      if (seen.has(key)) continue;
      seen.add(key);
      members.push([key, value]);
    }
    return new W3cTraceState(shorten(members));
  }

  get(key: string): string | undefined {
    return this.members.find(([k]) => k === key)?.[1];
  }

  /** Adds or updates `key`, moved to the left as the specification requires; an invalid pair is ignored. */
  set(key: string, value: string): W3cTraceState {
    if (!KEY.test(key) || !VALUE.test(value)) return this;
    const rest = this.members.filter(([k]) => k !== key);
    return new W3cTraceState([[key, value] as const, ...rest].slice(0, MAX_TRACESTATE_MEMBERS));
  }

  unset(key: string): W3cTraceState {
    return new W3cTraceState(this.members.filter(([k]) => k !== key));
  }

  serialize(): string {
    return this.members.map(([k, v]) => `${k}=${v}`).join(',');
  }

  /** How many list members it holds. */
  get size(): number {
    return this.members.length;
  }
}

function lengthOf(members: ReadonlyArray<readonly [string, string]>): number {
  return members.reduce((sum, [k, v], i) => sum + k.length + 1 + v.length + (i > 0 ? 1 : 0), 0);
}

function shorten(members: Array<readonly [string, string]>): Array<readonly [string, string]> {
  const kept = [...members];
  while (lengthOf(kept) > MAX_TRACESTATE_LENGTH) {
    // The right-most long member goes first; with none left, the right-most member.
    let drop = kept.length - 1;
    for (let i = kept.length - 1; i >= 0; i--) {
      const [k, v] = kept[i] as readonly [string, string];
      if (k.length + 1 + v.length > LONG_MEMBER) {
        drop = i;
        break;
      }
    }
    kept.splice(drop, 1);
  }
  return kept;
}
