/** A chat message as the engines receive it. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** One generation, validated and normalised. */
export interface GenerationRequest {
  messages: ChatMessage[];
  /** Upper bound of generated tokens (always set: the caller's value or MAX_TOKENS_LIMIT). */
  maxTokens: number;
  temperature?: number;
  topK?: number;
  seed?: number;
}

/** Why the engine stopped: it finished, or it hit `maxTokens`. */
export type FinishReason = 'stop' | 'length';

/** What an engine reports once its stream has ended. Unknown fields stay undefined. */
export interface StreamSummary {
  promptTokens?: number;
  completionTokens?: number;
  finishReason?: FinishReason;
  /** The model that actually answered, when the engine says so. */
  responseModel?: string;
}

/** One piece of generated text. */
export interface EngineChunk {
  token: string;
}

/** A running generation: iterate the chunks, then read the summary. */
export interface EngineStream extends AsyncIterable<EngineChunk> {
  /** Filled in while streaming; complete once iteration ends. */
  readonly summary: StreamSummary;
}

/** A model an engine can serve. */
export interface EngineModel {
  id: string;
}

/**
 * One interface for every engine: the bundled demo engine and any OpenAI-compatible
 * upstream. At most one model is loaded at a time; the model manager serialises
 * `load`/`unload` and guarantees no generation runs while it swaps.
 */
export interface Engine {
  /** `demo` or `openai` (also the span's `gen_ai.provider.name`). */
  readonly id: string;
  /** The models this engine can load. */
  listModels(): Promise<EngineModel[]>;
  load(model: string): Promise<void>;
  unload(): Promise<void>;
  /** Streams one generation with the loaded model; aborting `signal` stops it promptly. */
  stream(request: GenerationRequest, signal: AbortSignal): EngineStream;
  /**
   * Checks what the engine depends on outside this process (an upstream model server), for
   * the `upstream` dependency in `/health`: resolves with what it found, or throws an error
   * that names the problem and its fix. Engines that depend on nothing leave it out.
   */
  probe?(): Promise<string>;
}

/**
 * A failure of the engine or of the upstream model server. The message is shown to the
 * client in the `error` event, so it names the problem without secrets.
 */
export class UpstreamError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UpstreamError';
  }
}

/**
 * Rough prompt size in tokens (about four characters per token plus a few per message),
 * used when the engine does not report usage.
 */
export function estimatePromptTokens(messages: readonly ChatMessage[]): number {
  let total = 0;
  for (const m of messages) total += Math.ceil(m.content.length / 4) + 4;
  return total;
}
