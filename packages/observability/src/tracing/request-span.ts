// The module's binding, not the global: `globalThis.performance` is a getter, run on every read.
import { performance } from 'node:perf_hooks';
import {
  diag,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
  type Attributes,
  type AttributeValue,
  type Context,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  type SpanStatus,
  type TimeInput,
} from '@opentelemetry/api';
import { isAttributeValue, millisToHrTime, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { SamplingDecision, type ReadableSpan, type Sampler, type SpanProcessor, type TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { PooledIdGenerator } from './id-generator.js';
import { TRACE_FLAG_RANDOM } from './inbound.js';

/**
 * The span of one inbound HTTP request, built for the request path.
 *
 * The SDK's own span is general: it keeps a dozen bookkeeping fields, three time tuples and
 * its limits, and every one of those objects waits in the batch queue until the next export,
 * so under load each request leaves several objects for the garbage collector to copy. This
 * span keeps times as two numbers and allocates attributes, events and links only when used.
 * It is an OpenTelemetry API `Span` (children started by the SDK tracer see it as their
 * parent) and an SDK `ReadableSpan`, handed at its end to the same span processors (the
 * BatchSpanProcessors in front of the ring buffer and OTLP) and sampled by the same sampler
 * as every other span of the process.
 */
export class RequestSpan implements Span, ReadableSpan, SpanContext {
  // What almost every request span leaves at its default lives on the prototype (defined below
  // the class) and becomes an own field only when set: each span is kept until the ring buffer
  // turns over, so every field it owns is copied by the garbage collector, and promoted.
  declare readonly kind: SpanKind;
  declare status: SpanStatus;
  declare events: TimedEvent[];
  declare links: Link[];
  declare droppedAttributesCount: number;
  declare droppedEventsCount: number;
  declare droppedLinksCount: number;
  // The span is its own span context: one object fewer per request.
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
  readonly traceState: SpanContext['traceState'];
  attributes: Attributes;
  private attributeCount: number;
  private endMs = -1;

  constructor(
    private readonly factory: RequestSpanFactory,
    traceId: string,
    spanId: string,
    traceFlags: number,
    traceState: SpanContext['traceState'],
    readonly parentSpanContext: SpanContext | undefined,
    public name: string,
    attributes: Attributes,
    attributeCount: number,
    /** Start, in milliseconds since the epoch (fractional). */
    readonly startMs: number,
  ) {
    this.traceId = traceId;
    this.spanId = spanId;
    this.traceFlags = traceFlags;
    this.traceState = traceState;
    this.attributes = attributes;
    this.attributeCount = attributeCount;
  }

  // What the ring buffer keeps of a span (it stores request spans as they are).
  get parentSpanId(): string | undefined {
    return this.parentSpanContext?.spanId;
  }

  get durationMs(): number {
    return this.endMs < 0 ? -1 : this.endMs - this.startMs;
  }

  get statusCode(): SpanStatusCode {
    return this.status.code;
  }

  get statusMessage(): string | undefined {
    return this.status.message;
  }

  get resource(): Resource {
    return this.factory.resource;
  }

  get instrumentationScope(): InstrumentationScope {
    return this.factory.scope;
  }

  get startTime(): HrTime {
    return millisToHrTime(this.startMs);
  }

  get endTime(): HrTime {
    return this.endMs < 0 ? [0, 0] : millisToHrTime(this.endMs);
  }

  get duration(): HrTime {
    return this.endMs < 0 ? [-1, -1] : millisToHrTime(this.endMs - this.startMs);
  }

  get ended(): boolean {
    return this.endMs >= 0;
  }

  spanContext(): SpanContext {
    return this;
  }

  isRecording(): boolean {
    return this.endMs < 0;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (value == null || this.endMs >= 0) return this;
    if (key.length === 0 || !isAttributeValue(value)) {
      diag.warn(`Invalid attribute ${key ? `value set for key: ${key}` : 'key'}`);
      return this;
    }
    if (!Object.prototype.hasOwnProperty.call(this.attributes, key) && !this.roomForAttribute()) return this;
    this.attributes[key] = value;
    return this;
  }

  /**
   * `setAttribute` for a key and value the caller knows to be valid (the request path's own
   * attributes): the same limits and end check, without validating the value again. The key
   * must not name a property of `Object.prototype` (attribute values are never undefined, so
   * an undefined read means the key is not set).
   */
  setValidAttribute(key: string, value: string | number | boolean): this {
    if (this.endMs >= 0) return this;
    if (this.attributes[key] === undefined && !this.roomForAttribute()) return this;
    this.attributes[key] = value;
    return this;
  }

  // Counts a new attribute key in, or (at the limit) counts it as dropped and says no.
  private roomForAttribute(): boolean {
    if (this.attributeCount >= ATTRIBUTE_COUNT_LIMIT) {
      this.droppedAttributesCount++;
      return false;
    }
    this.attributeCount++;
    return true;
  }

  setAttributes(attributes: Attributes): this {
    for (const key of Object.keys(attributes)) this.setAttribute(key, attributes[key]);
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.endMs >= 0) return this;
    if (isTimeInput(attributesOrTime)) {
      time = attributesOrTime;
      attributesOrTime = undefined;
    }
    if (this.events === NO_EVENTS) this.events = [];
    if (this.events.length >= EVENT_COUNT_LIMIT) {
      this.events.shift();
      this.droppedEventsCount++;
    }
    const attributes: Attributes = {};
    if (attributesOrTime) {
      for (const key of Object.keys(attributesOrTime)) {
        const value = attributesOrTime[key];
        if (isAttributeValue(value)) attributes[key] = value;
      }
    }
    this.events.push({ name, attributes, time: millisToHrTime(time === undefined ? this.factory.nowMs() : this.factory.toEpochMs(time)), droppedAttributesCount: 0 });
    return this;
  }

  addLink(link: Link): this {
    if (this.endMs >= 0) return this;
    if (this.links === NO_LINKS) this.links = [];
    if (this.links.length >= LINK_COUNT_LIMIT) this.droppedLinksCount++;
    else this.links.push(link);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.endMs >= 0 || this.status.code === SpanStatusCode.OK) return this;
    if (status.code === SpanStatusCode.UNSET) return this;
    this.status = status.code === SpanStatusCode.ERROR && typeof status.message === 'string' ? { code: status.code, message: status.message } : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (this.endMs < 0) this.name = name;
    return this;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes['exception.message'] = exception;
    else if (exception) {
      if (exception.code) attributes['exception.type'] = String(exception.code);
      else if (exception.name) attributes['exception.type'] = exception.name;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] || attributes['exception.message']) this.addEvent('exception', attributes, time);
  }

  end(endTime?: TimeInput): void {
    if (this.endMs >= 0) {
      diag.error(`${this.name} ${this.traceId}-${this.spanId} - You can only call end() on a span once.`);
      return;
    }
    this.endAtEpochMs(endTime === undefined ? this.factory.nowMs() : this.factory.toEpochMs(endTime));
  }

  /** `end()` at a `performance.now()` reading the caller already took (the request path). */
  endAtPerf(perf: number): void {
    if (this.endMs >= 0) {
      diag.error(`${this.name} ${this.traceId}-${this.spanId} - You can only call end() on a span once.`);
      return;
    }
    this.endAtEpochMs(this.factory.perfToEpochMs(perf));
  }

  private endAtEpochMs(endMs: number): void {
    this.endMs = endMs < this.startMs ? this.startMs : endMs;
    this.factory.ended(this);
  }
}

const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
const NO_EVENTS: TimedEvent[] = [];
const NO_LINKS: Link[] = [];

// The defaults of the fields declared above: writable, so setting one makes it the span's own.
for (const [key, value] of [
  ['status', UNSET],
  ['events', NO_EVENTS],
  ['links', NO_LINKS],
  ['droppedAttributesCount', 0],
  ['droppedEventsCount', 0],
  ['droppedLinksCount', 0],
] as const) {
  Object.defineProperty(RequestSpan.prototype, key, { value, writable: true, enumerable: true, configurable: true });
}
Object.defineProperty(RequestSpan.prototype, 'kind', { value: SpanKind.SERVER, writable: false, enumerable: true, configurable: true });
// The SDK's defaults (OTEL_SPAN_*_COUNT_LIMIT); a request span carries a handful.
const ATTRIBUTE_COUNT_LIMIT = 128;
const EVENT_COUNT_LIMIT = 128;
const LINK_COUNT_LIMIT = 128;

function isTimeInput(value: unknown): value is TimeInput {
  return typeof value === 'number' || value instanceof Date || (Array.isArray(value) && value.length === 2 && typeof value[0] === 'number' && typeof value[1] === 'number');
}

/** What a request span is started from. */
export interface RequestSpanStart {
  name: string;
  /** Context the span is started in (holds the remote parent, if any). */
  context: Context;
  /** The remote parent's span context, when the request carried a valid one. */
  parent: SpanContext | undefined;
  /** Trace id to use when there is no parent (from `x-trace-id`/`x-request-id`). */
  traceId: string | undefined;
  attributes: Attributes;
  /** `performance.now()` at the start of the request. */
  startPerf: number;
}

/** Starts {@link RequestSpan}s with the process's sampler, id generator, resource and span processors. */
export class RequestSpanFactory {
  private offsetMs = 0;
  private offsetAt = -Infinity;

  constructor(
    readonly resource: Resource,
    readonly scope: InstrumentationScope,
    private readonly sampler: Sampler,
    private readonly ids: PooledIdGenerator,
    private readonly processors: readonly SpanProcessor[],
  ) {}

  /** Milliseconds since the epoch now, from the monotonic clock (re-anchored to the wall clock each second). */
  nowMs(): number {
    return this.perfToEpochMs(performance.now());
  }

  /** Converts a `performance.now()` reading to milliseconds since the epoch. */
  perfToEpochMs(perf: number): number {
    if (perf - this.offsetAt > 1000) {
      const now = performance.now();
      this.offsetMs = Date.now() - now;
      this.offsetAt = now;
    }
    return perf + this.offsetMs;
  }

  /** Any OpenTelemetry time input, in milliseconds since the epoch. */
  toEpochMs(time: TimeInput): number {
    if (typeof time === 'number') return time <= performance.now() ? this.perfToEpochMs(time) : time;
    if (time instanceof Date) return time.getTime();
    return time[0] * 1e3 + time[1] / 1e6;
  }

  start(options: RequestSpanStart): Span {
    const parent = options.parent;
    const traceId = parent ? parent.traceId : (options.traceId ?? this.ids.generateTraceId());
    const spanId = this.ids.generateSpanId();
    const sampling = this.sampler.shouldSample(options.context, traceId, options.name, SpanKind.SERVER, options.attributes, NO_LINKS);
    // W3C Level 2 `random` flag: as the caller sent it for its trace id; set on a trace id this
    // process generated (random); unset on one taken from x-trace-id/x-request-id (unknown).
    const random = parent ? parent.traceFlags & TRACE_FLAG_RANDOM : options.traceId === undefined ? TRACE_FLAG_RANDOM : 0;
    const traceFlags = (sampling.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE) | random;
    const traceState = sampling.traceState ?? parent?.traceState;
    if (sampling.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(traceState ? { traceId, spanId, traceFlags, traceState } : { traceId, spanId, traceFlags });
    const attributes = options.attributes;
    let count = 0;
    for (const _ in attributes) count++;
    if (sampling.attributes) {
      for (const key of Object.keys(sampling.attributes)) {
        if (!(key in attributes)) count++;
        attributes[key] = sampling.attributes[key] as AttributeValue;
      }
    }
    const span = new RequestSpan(this, traceId, spanId, traceFlags, traceState, parent, options.name, attributes, count, this.perfToEpochMs(options.startPerf));
    for (const processor of this.processors) processor.onStart(span, options.context);
    return span;
  }

  /** @internal Hands an ended span to every processor; a failing processor never fails the request. */
  ended(span: RequestSpan): void {
    for (const processor of this.processors) {
      try {
        processor.onEnd(span);
      } catch (err) {
        diag.error('span processor failed on a request span', err);
      }
    }
  }
}
