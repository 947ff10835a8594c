import type { FastifyReply } from 'fastify';

/**
 * The response headers the request path sets and reads on every request, as
 * `reply.header(name, value)` and `reply.getHeader(name)` would, without their per-call
 * `name.toLowerCase()` (a runtime call per header; these names are lower case already).
 * Fastify 5 keeps a reply's headers in a plain object under `Symbol('fastify.reply.headers')`
 * (not exported); that symbol is found on the first reply, and used only once the trace
 * headers set through `reply.header` were seen landing there. Until then, and if it is not
 * found, these are `reply.header` and `reply.getHeader` themselves.
 *
 * The names are written out at each store and load (not passed in): a store of a computed
 * name that adds a property is a megamorphic keyed store, which V8 sends to its runtime on
 * every call; a named store at its own site stays a fast map transition.
 */
export interface TraceHeaders {
  /** `x-trace-id` and `traceparent`. */
  setTrace(reply: FastifyReply, traceId: string, traceparent: string): void;
  /** `reply.header(name, value)`; `name` must be lower case and not `set-cookie`. */
  set(reply: FastifyReply, name: string, value: string): void;
  /** `reply.getHeader('content-type')`. */
  contentType(reply: FastifyReply): unknown;
}

type Store = Record<string, unknown>;

/** Builds the accessors (see {@link TraceHeaders}). */
export function traceHeaders(): TraceHeaders {
  // undefined: not looked for yet; null: not found (Fastify changed), use the public API.
  let key: symbol | null | undefined;
  const storeOf = (reply: FastifyReply): Store | undefined => {
    if (!key) return undefined;
    const store = (reply as unknown as Record<symbol, Store | undefined>)[key];
    return store !== null && typeof store === 'object' ? store : undefined;
  };
  return {
    setTrace(reply, traceId, traceparent) {
      const store = storeOf(reply);
      if (store === undefined) {
        reply.header('x-trace-id', traceId);
        reply.header('traceparent', traceparent);
        if (key === undefined) key = findHeadersSymbol(reply, traceId, traceparent);
        return;
      }
      store['x-trace-id'] = traceId;
      store.traceparent = traceparent;
    },
    set(reply, name, value) {
      const store = storeOf(reply);
      if (store === undefined) reply.header(name, value);
      else store[name] = value;
    },
    contentType(reply) {
      const store = storeOf(reply);
      if (store === undefined) return reply.getHeader('content-type');
      const value = store['content-type'];
      return value !== undefined ? value : reply.raw.getHeader('content-type');
    },
  };
}

// Looks for the one symbol-keyed plain object that received the trace headers just set.
function findHeadersSymbol(reply: FastifyReply, traceId: string, traceparent: string): symbol | null {
  for (const sym of Object.getOwnPropertySymbols(reply)) {
    if (sym.description !== 'fastify.reply.headers') continue;
    const store = (reply as unknown as Record<symbol, unknown>)[sym];
    if (store === null || typeof store !== 'object' || Object.getPrototypeOf(store) !== Object.prototype) continue;
    if ((store as Store)['x-trace-id'] === traceId && (store as Store).traceparent === traceparent && reply.getHeader('traceparent') === traceparent) return sym;
  }
  return null;
}
