/**
 * W3C trace ids minted in the browser. The page sends one as `x-trace-id` with every API call
 * so the web service, chat-api, auth and inference all record the same trace, and the UI can
 * link an answer to its waterfall in the operations console.
 */

const TRACE_ID = /^[0-9a-f]{32}$/;

/** A new random trace id: 32 lowercase hex digits, never all zeros (invalid per W3C). */
export function newTraceId(): string {
  const bytes = new Uint8Array(16);
  do crypto.getRandomValues(bytes);
  while (bytes.every((b) => b === 0));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** True for a well-formed, non-zero W3C trace id. */
export function isTraceId(value: string): boolean {
  return TRACE_ID.test(value) && !/^0+$/.test(value);
}

/** The console deep link of one trace. */
export function traceHref(traceId: string): string {
  return `/ops#/traces/${traceId}`;
}
