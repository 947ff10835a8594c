import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createObservability, type Observability } from '@samosachaat/observability';
import { observabilityConfigFromEnv } from '@samosachaat/service-kit';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { configFromEnv } from '../../src/config.js';
import type { Engine } from '../../src/engines/engine.js';

/** A pino destination that keeps every JSON line in memory. */
export class LogSink {
  readonly raw: string[] = [];

  write(chunk: string): void {
    this.raw.push(chunk);
  }

  lines(): Array<Record<string, unknown>> {
    return this.raw.flatMap((c) => c.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
  }

  find(message: string): Array<Record<string, unknown>> {
    return this.lines().filter((l) => l.message === message);
  }

  text(): string {
    return this.raw.join('');
  }
}

/** An in-process inference app with a fresh key, captured logs and fast demo defaults. */
export interface TestInference {
  app: FastifyInstance;
  obs: Observability;
  logs: LogSink;
  key: string;
  close(): Promise<void>;
}

/** A random internal key, made at test time (never a fixture). */
export function testKey(): string {
  return randomBytes(24).toString('base64url');
}

/** Builds the app with `env` over fast defaults (no load delay, no pacing) and waits for the model. */
export async function buildTestInference(env: Record<string, string> = {}, options: { engine?: Engine; waitForModel?: boolean } = {}): Promise<TestInference> {
  const key = testKey();
  const config = configFromEnv({ INTERNAL_API_KEY: key, SAMOSACHAAT_LOCAL: 'true', DEMO_LOAD_MS: '0', DEMO_TOKENS_PER_SECOND: '0', ...env });
  const logs = new LogSink();
  const obs = createObservability(observabilityConfigFromEnv('inference', { LOG_LEVEL: 'debug' }), { logDestination: logs, registerGlobalTracer: false, runtimeMetrics: false });
  const app = await buildApp(config, { obs, engine: options.engine });
  await app.ready();
  if (options.waitForModel ?? true) {
    const deadline = Date.now() + 5000;
    while (!app.inference.models.ready) {
      if (Date.now() > deadline) throw new Error('the model did not load in 5 s');
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  return {
    app,
    obs,
    logs,
    key,
    close: async () => {
      await app.close();
      await obs.shutdown();
    },
  };
}

/** The `data:` payloads of an SSE body, parsed as JSON, after checking the exact framing. */
export function sseEvents(body: string): unknown[] {
  if (!body.endsWith('\n\n')) throw new Error(`SSE body does not end with a blank line: ${JSON.stringify(body.slice(-40))}`);
  return body
    .slice(0, -2)
    .split('\n\n')
    .map((frame) => {
      if (!frame.startsWith('data: ') || frame.includes('\n')) throw new Error(`not a single-line data frame: ${JSON.stringify(frame)}`);
      const data = frame.slice(6);
      return data === '[DONE]' ? '[DONE]' : (JSON.parse(data) as unknown);
    });
}

/** Reads one sample of a Prometheus exposition (`name{labels}` exactly as rendered). */
export function metricValue(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** The final `/generate` frame as text: done, the model and the engine's token counts. */
export const DONE_FRAME = String.raw`data: \{"done":true,"model":"[^"]+","finish_reason":(?:"[a-z_]+"|null),"usage":\{"prompt_tokens":\d+,"completion_tokens":\d+\}\}\n\n`;

/**
 * Checks the final `/generate` frame: `{"done":true,"model":…,"finish_reason":…,"usage":{"prompt_tokens","completion_tokens"}}`
 * with whole-number counts, equal to the expected ones when given.
 */
export function assertDone(event: unknown, expected: { model: string; promptTokens?: number; completionTokens?: number }): void {
  const e = event as { done?: unknown; model?: unknown; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } } | undefined;
  assert.deepEqual(Object.keys(e ?? {}), ['done', 'model', 'finish_reason', 'usage'], JSON.stringify(event));
  assert.equal(e?.done, true);
  assert.equal(e?.model, expected.model);
  assert.ok(Number.isInteger(e?.usage?.prompt_tokens) && Number.isInteger(e?.usage?.completion_tokens), JSON.stringify(event));
  if (expected.promptTokens !== undefined) assert.equal(e?.usage?.prompt_tokens, expected.promptTokens);
  if (expected.completionTokens !== undefined) assert.equal(e?.usage?.completion_tokens, expected.completionTokens);
}
