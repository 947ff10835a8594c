import { context, createContextKey, trace, type Context, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

/**
 * Fields bound to the current unit of work (a request, a job). They ride inside the
 * OpenTelemetry context, so there is exactly one AsyncLocalStorage in play: the one behind
 * OpenTelemetry's context manager. The bag is mutable on purpose — `user_id` becomes known
 * halfway through a request (after the auth guard), and every later log line must carry it.
 */
export interface ContextBag {
  readonly fields: Record<string, unknown>;
}

const BAG_KEY = createContextKey('samosachaat.context-bag');
/**
 * The id of the request's trace when its `random` trace flag (0x02) is set. OpenTelemetry's
 * SDK starts child spans with the sampled flag only, so outgoing headers read the flag here.
 */
export const RANDOM_TRACE_ID_KEY = createContextKey('samosachaat.random-trace-id');
let managerInstalled = false;

/**
 * Installs the AsyncLocalStorage context manager as OpenTelemetry's global context manager
 * (once per process). Every factory in this package calls it, so services never need to.
 */
export function ensureContextManager(): void {
  if (managerInstalled) return;
  const manager = new AsyncLocalStorageContextManager().enable();
  // Another copy of the API may already own the global slot; then that one serves us.
  if (!context.setGlobalContextManager(manager)) manager.disable();
  managerInstalled = true;
}

/** Returns a context that carries a fresh bag seeded with the parent's fields plus `fields`. */
export function contextWithFields(fields: Record<string, unknown>, parent: Context = context.active()): Context {
  const inherited = (parent.getValue(BAG_KEY) as ContextBag | undefined)?.fields;
  return parent.setValue(BAG_KEY, { fields: inherited ? { ...inherited, ...fields } : { ...fields } });
}

// The API's key for the active span (createContextKey is Symbol.for(description)); checked
// once below, so a future API that changes it falls back to the generic path.
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');

/**
 * The context of one request: its span plus a fresh, empty bag, built as one small object
 * instead of two copies of the API's Map-backed context (this runs on every request).
 * Anything derived from it (`setValue`) is an ordinary context again.
 */
class RequestContext implements Context, ContextBag {
  // The context is its own bag: one object fewer per request.
  readonly fields: Record<string, unknown> = {};
  constructor(
    private readonly parent: Context,
    private readonly span: Span,
  ) {}
  getValue(key: symbol): unknown {
    if (key === SPAN_KEY) return this.span;
    if (key === BAG_KEY) return this;
    if (key === RANDOM_TRACE_ID_KEY) return randomTraceId(this.span);
    return this.parent.getValue(key);
  }
  setValue(key: symbol, value: unknown): Context {
    return this.materialise().setValue(key, value);
  }
  deleteValue(key: symbol): Context {
    return this.materialise().deleteValue(key);
  }
  private materialise(): Context {
    return trace.setSpan(this.parent, this.span).setValue(BAG_KEY, { fields: this.fields }).setValue(RANDOM_TRACE_ID_KEY, randomTraceId(this.span));
  }
}

function randomTraceId(span: Span): string | undefined {
  const sc = span.spanContext();
  return (sc.traceFlags & 0x02) !== 0 ? sc.traceId : undefined;
}

let fastPathChecked: boolean | undefined;

/** The context a request runs in: `span` active, an empty bag for `bindContext`. */
export function requestContext(parent: Context, span: Span): Context {
  if (fastPathChecked === undefined) fastPathChecked = trace.getSpan(new RequestContext(parent, span)) === span;
  return fastPathChecked ? new RequestContext(parent, span) : contextWithFields({}, trace.setSpan(parent, span).setValue(RANDOM_TRACE_ID_KEY, randomTraceId(span)));
}

/**
 * Runs `fn` with `fields` bound for every log line written inside it, across `await`,
 * timers, streams and async generators.
 */
export function runWithContext<T>(fields: Record<string, unknown>, fn: () => T): T {
  ensureContextManager();
  return context.with(contextWithFields(fields), fn);
}

/**
 * Adds fields to the current unit of work's bag (e.g. `user_id` once the token is validated).
 * Returns false when there is no bag (outside any request or `runWithContext`).
 */
export function bindContext(fields: Record<string, unknown>): boolean {
  const bag = context.active().getValue(BAG_KEY) as ContextBag | undefined;
  if (!bag) return false;
  Object.assign(bag.fields, fields);
  return true;
}

/**
 * `fn`, bound to the current unit of work: wherever it is called later (an event listener,
 * a timer) it runs with this request's trace and fields, so what it logs carries them.
 * Cheaper than `AsyncResource.bind`, which creates an async resource per call.
 */
export function inCurrentContext<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  const captured = context.active();
  return (...args: A) => context.with(captured, fn, undefined, ...args);
}

/** The fields bound to the current unit of work, or undefined outside of one. */
export function getContextFields(ctx: Context = context.active()): Readonly<Record<string, unknown>> | undefined {
  return (ctx.getValue(BAG_KEY) as ContextBag | undefined)?.fields;
}

/** The W3C trace id of the active span, or undefined when no valid span is active. */
export function currentTraceId(): string | undefined {
  const sc = trace.getSpan(context.active())?.spanContext();
  return sc && trace.isSpanContextValid(sc) ? sc.traceId : undefined;
}
