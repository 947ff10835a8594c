import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { DEMO_MODELS, type DemoEngineConfig } from '../config.js';
import { composeAnswer, seedFromMessages } from './demo-text.js';
import { estimatePromptTokens, UpstreamError, type Engine, type EngineChunk, type EngineModel, type EngineStream, type GenerationRequest, type StreamSummary } from './engine.js';

// Answer lengths in words: demo-large answers at greater length, so a swap is visible.
const LENGTHS: Record<string, { minWords: number; maxWords: number }> = {
  demo: { minWords: 60, maxWords: 120 },
  'demo-large': { minWords: 120, maxWords: 240 },
};

/**
 * The bundled demo engine: zero download, deterministic for a given seed, paced at
 * DEMO_TOKENS_PER_SECOND. It composes template sentences about the topic of the last user
 * message; it is a stand-in for a model server, not a language model.
 */
export class DemoEngine implements Engine {
  readonly id = 'demo';
  // Template text, not sampled from a distribution: nucleus sampling and stop texts mean nothing here.
  readonly capabilities = { topP: false, topK: true, stop: false, seed: true, tools: false, responseFormat: false };
  private loaded: string | undefined;

  constructor(private readonly config: DemoEngineConfig) {}

  async listModels(): Promise<EngineModel[]> {
    return DEMO_MODELS.map((id) => ({ id }));
  }

  async load(model: string): Promise<void> {
    if (!(DEMO_MODELS as readonly string[]).includes(model)) throw new UpstreamError(`the demo engine has no model "${model}"`);
    if (this.config.loadMs > 0) await sleep(this.config.loadMs);
    this.loaded = model;
  }

  async unload(): Promise<void> {
    this.loaded = undefined;
  }

  stream(request: GenerationRequest, signal: AbortSignal): EngineStream {
    const model = this.loaded;
    if (model === undefined) throw new UpstreamError('the demo engine has no model loaded');
    const lengths = LENGTHS[model] ?? { minWords: 60, maxWords: 120 };
    const seed = request.seed ?? seedFromMessages(request.messages);
    const answer = composeAnswer({
      messages: request.messages,
      // Each model answers differently for the same seed.
      seed: (seed ^ (model === 'demo' ? 0 : 0x5bd1e995)) >>> 0,
      temperature: request.temperature ?? 1,
      topK: request.topK ?? 1000,
      maxTokens: request.maxTokens,
      ...lengths,
    });
    const summary: StreamSummary = { promptTokens: estimatePromptTokens(request.messages), responseModel: model };
    const { tokensPerSecond, failAfterTokens } = this.config;

    async function* chunks(): AsyncGenerator<EngineChunk> {
      const intervalMs = tokensPerSecond > 0 ? 1000 / tokensPerSecond : 0;
      const startedAt = performance.now();
      for (let i = 0; i < answer.tokens.length; i++) {
        // Pace against the start time, so timer jitter does not accumulate.
        const wait = startedAt + (i + 1) * intervalMs - performance.now();
        if (intervalMs > 0 && wait > 0) await sleep(wait, undefined, { signal });
        else await yieldToLoop(undefined, { signal });
        if (failAfterTokens !== undefined && i >= failAfterTokens) {
          throw new UpstreamError(`demo engine fault injection: failing after ${failAfterTokens} tokens (DEMO_FAIL_AFTER_TOKENS)`);
        }
        summary.completionTokens = i + 1;
        yield { token: answer.tokens[i] as string };
      }
      summary.finishReason = answer.finishReason;
    }

    const iterable = chunks();
    return { summary, [Symbol.asyncIterator]: () => iterable };
  }
}
