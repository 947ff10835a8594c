import { context, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';

/** How a streamed generation ended. */
export type GenerationOutcome = 'completed' | 'client_disconnected' | 'upstream_error';

/** What is known when a generation starts. */
export interface GenerationStart {
  /** Requested model (`gen_ai.request.model`). */
  model: string;
  /** Engine or provider (`gen_ai.provider.name`), e.g. `demo`, `openai`. */
  provider?: string;
  /** `gen_ai.operation.name`; default `chat`. */
  operation?: string;
  inputTokens?: number;
  temperature?: number;
  maxTokens?: number;
  topK?: number;
  /** CLIENT when calling another process (an upstream model server), else INTERNAL. */
  kind?: SpanKind;
}

/** How it ended. */
export interface GenerationEnd {
  outcome: GenerationOutcome;
  /** Overrides the count accumulated with `tokens()`. */
  outputTokens?: number;
  inputTokens?: number;
  /** The model that actually answered (`gen_ai.response.model`). */
  responseModel?: string;
  finishReason?: string;
  error?: Error;
}

/** A running generation span. */
export interface GenerationSpan {
  readonly span: Span;
  /**
   * Records `n` generated tokens; the first call also records the first-token event. `at`
   * (a `performance.now()` time) is when they arrived, if that was before this call.
   */
  tokens(n?: number, at?: number): void;
  /** Milliseconds from start to first token, once known. */
  readonly timeToFirstTokenMs: number | undefined;
  /** Ends the span; later calls are ignored. */
  end(result: GenerationEnd): void;
  /** Runs `fn` with this span active, so logs and outbound calls inside carry it. */
  run<T>(fn: () => T): T;
}

/**
 * Starts one span for a streamed generation, named `<operation> <model>` with the
 * OpenTelemetry GenAI attribute names: a `gen_ai.first_token` event (time to first token),
 * input/output token counts, the outcome and whether the client disconnected. The client
 * disconnecting is not an error; an upstream failure is.
 */
export function startGenerationSpan(tracer: Tracer, start: GenerationStart): GenerationSpan {
  const operation = start.operation ?? 'chat';
  const attributes: Record<string, string | number> = {
    'gen_ai.operation.name': operation,
    'gen_ai.request.model': start.model,
  };
  if (start.provider) attributes['gen_ai.provider.name'] = start.provider;
  if (start.inputTokens !== undefined) attributes['gen_ai.usage.input_tokens'] = start.inputTokens;
  if (start.temperature !== undefined) attributes['gen_ai.request.temperature'] = start.temperature;
  if (start.maxTokens !== undefined) attributes['gen_ai.request.max_tokens'] = start.maxTokens;
  if (start.topK !== undefined) attributes['gen_ai.request.top_k'] = start.topK;
  const span = tracer.startSpan(`${operation} ${start.model}`, { kind: start.kind ?? SpanKind.INTERNAL, attributes });
  const startedAt = performance.now();
  let outputTokens = 0;
  let ttft: number | undefined;
  let ended = false;

  return {
    span,
    get timeToFirstTokenMs() {
      return ttft;
    },
    tokens(n = 1, at) {
      if (ended) return;
      if (ttft === undefined) {
        ttft = Math.round(((at ?? performance.now()) - startedAt) * 1000) / 1000;
        span.addEvent('gen_ai.first_token', { 'gen_ai.response.time_to_first_token_ms': ttft });
      }
      outputTokens += n;
    },
    end(result) {
      if (ended) return;
      ended = true;
      span.setAttribute('gen_ai.usage.output_tokens', result.outputTokens ?? outputTokens);
      if (result.inputTokens !== undefined) span.setAttribute('gen_ai.usage.input_tokens', result.inputTokens);
      if (result.responseModel) span.setAttribute('gen_ai.response.model', result.responseModel);
      if (result.finishReason) span.setAttribute('gen_ai.response.finish_reasons', [result.finishReason]);
      if (ttft !== undefined) span.setAttribute('gen_ai.response.time_to_first_token_ms', ttft);
      span.setAttribute('samosachaat.generation.outcome', result.outcome);
      span.setAttribute('samosachaat.client_disconnected', result.outcome === 'client_disconnected');
      if (result.outcome === 'upstream_error') {
        if (result.error) span.recordException(result.error);
        span.setAttribute('error.type', result.error?.name ?? 'upstream_error');
        span.setStatus({ code: SpanStatusCode.ERROR, message: result.error?.message ?? 'upstream error' });
      }
      span.end();
    },
    run(fn) {
      return context.with(trace.setSpan(context.active(), span), fn);
    },
  };
}
