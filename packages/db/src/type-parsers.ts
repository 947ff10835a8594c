/**
 * One set of JavaScript types for both drivers (PGlite's defaults and node-postgres's differ):
 *
 * | PostgreSQL | JavaScript |
 * |---|---|
 * | int2, int4, float4, float8 | number |
 * | int8 (`count(*)`) | number; a BigInt beyond ±2^53 |
 * | numeric | string (exact) |
 * | timestamptz, timestamp | Date |
 * | date | string `YYYY-MM-DD` (no time zone shift) |
 * | interval | string (`1 day 02:00:00`) |
 * | bytea | Buffer |
 * | json, jsonb | parsed value |
 * | uuid, text, time | string |
 */
import pg from 'pg';

export const OID = { BYTEA: 17, INT8: 20, DATE: 1082, INTERVAL: 1186 } as const;

/** PGlite's own rule for int8, applied to node-postgres too. */
export function parseInt8(text: string): number | bigint {
  const big = BigInt(text);
  return big < BigInt(Number.MIN_SAFE_INTEGER) || big > BigInt(Number.MAX_SAFE_INTEGER) ? big : Number(big);
}

function parseBytea(text: string): Buffer {
  // PGlite receives text results: bytea in hex output format, `\x0102`.
  return text.startsWith('\\x') ? Buffer.from(text.slice(2), 'hex') : Buffer.from(text, 'latin1');
}

const identity = (text: string): string => text;

/** Overrides of PGlite's parsers (keyed by type OID). */
export const PGLITE_PARSERS: Record<number, (text: string) => unknown> = {
  [OID.BYTEA]: parseBytea,
  [OID.DATE]: identity,
  [OID.INTERVAL]: identity,
};

type TypeParser = (value: string) => unknown;

/** node-postgres `types` for one pool (never the process-wide pg.types). */
export const PG_TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): TypeParser {
    if (format !== 'binary') {
      if (oid === OID.INT8) return parseInt8;
      if (oid === OID.DATE || oid === OID.INTERVAL) return identity;
    }
    return (pg.types.getTypeParser as (oid: number, format?: string) => TypeParser)(oid, format);
  },
};
