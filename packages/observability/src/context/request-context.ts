import { context, createContextKey, trace, type Context } from '@opentelemetry/api';
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

/** The fields bound to the current unit of work, or undefined outside of one. */
export function getContextFields(ctx: Context = context.active()): Readonly<Record<string, unknown>> | undefined {
  return (ctx.getValue(BAG_KEY) as ContextBag | undefined)?.fields;
}

/** The W3C trace id of the active span, or undefined when no valid span is active. */
export function currentTraceId(): string | undefined {
  const sc = trace.getSpan(context.active())?.spanContext();
  return sc && trace.isSpanContextValid(sc) ? sc.traceId : undefined;
}
