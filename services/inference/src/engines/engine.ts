/** A chat message as the engines receive it. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** An assistant's tool calls (OpenAI's shape), passed through to engines with tool support. */
  toolCalls?: unknown[];
  /** A `tool` message: the call it answers. */
  toolCallId?: string;
}

/**
 * What an engine honours beyond messages, temperature and max tokens. A request using anything
 * else is refused with a 400 naming the parameter (README "Use the API": nothing is silently
 * ignored).
 */
export interface EngineCapabilities {
  topP: boolean;
  topK: boolean;
  stop: boolean;
  seed: boolean;
  /** `tools`, `tool_choice`, tool messages; tool-call deltas stream back. */
  tools: boolean;
  responseFormat: boolean;
}

/** One generation, validated and normalised. */
export interface GenerationRequest {
  messages: ChatMessage[];
  /** Upper bound of generated tokens (always set: the caller's value or MAX_TOKENS_LIMIT). */
  maxTokens: number;
  temperature?: number;
  topK?: number;
  /** Nucleus sampling: keep the smallest set of tokens whose probabilities add up to this. */
  topP?: number;
  seed?: number;
  /** Generation ends (without the stop text) when the output would contain one of these. */
  stop?: string[];
  /** OpenAI's `tools`, `tool_choice`, `parallel_tool_calls`, `response_format`, passed through unchanged. */
  tools?: unknown[];
  toolChoice?: unknown;
  parallelToolCalls?: boolean;
  responseFormat?: unknown;
}

/** Why the engine stopped: it finished, hit `maxTokens`, or asks for tool calls. */
export type FinishReason = 'stop' | 'length' | 'tool_calls';

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
  /** Tool-call deltas (OpenAI's `delta.tool_calls`), forwarded unchanged; `token` is then empty. */
  toolCalls?: unknown[];
  /**
   * How many model tokens this text holds, when the engine knows (llama: a multi-byte
   * character can span tokens, several tokens can arrive as one piece); 1 when left out.
   */
  tokens?: number;
}

/** A running generation: iterate the chunks, then read the summary. */
export interface EngineStream extends AsyncIterable<EngineChunk> {
  /** Filled in while streaming; complete once iteration ends. */
  readonly summary: StreamSummary;
}

/** What an engine knows about a model file (the llama engine reads it from the GGUF header). */
export interface ModelDetails {
  file: string;
  size_bytes: number;
  architecture: string | null;
  /** e.g. Q4_K_M, F16; from `general.file_type`. */
  quantisation: string | null;
  /** The trained context length in tokens. */
  context_length: number | null;
}

/** A model an engine can serve. */
export interface EngineModel {
  id: string;
  details?: ModelDetails;
}

/**
 * One interface for every engine: the bundled demo engine and any OpenAI-compatible
 * upstream. At most one model is loaded at a time; the model manager serialises
 * `load`/`unload` and guarantees no generation runs while it swaps.
 */
export interface Engine {
  /** `demo`, `openai` or `llama` (also the span's `gen_ai.provider.name`). */
  readonly id: string;
  /** The parameters it honours; others are refused before a generation starts. */
  readonly capabilities: EngineCapabilities;
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
  /** While a load runs: the model and how far it is (0..1), for `/health` and readiness. */
  readonly loadProgress?: { model: string; progress: number } | undefined;
}

/**
 * A failure of the engine or of the upstream model server. The message is shown to the
 * client in the `error` event, so it names the problem without secrets.
 */
export class UpstreamError extends Error {
  /** What kind of failure, as an error code of the registry (src/errors.ts); unset: a generic engine failure. */
  readonly code: UpstreamFailureCode | undefined;
  /** Seconds the upstream asked to wait (its `Retry-After`), passed on to the client. */
  readonly retryAfter: number | undefined;

  constructor(message: string, options?: { cause?: unknown; code?: UpstreamFailureCode; retryAfter?: number }) {
    super(message, options);
    this.name = 'UpstreamError';
    this.code = options?.code;
    this.retryAfter = options?.retryAfter;
  }
}

/**
 * The coded kinds of upstream failure, reported in `/generate`'s error event so chat-api can
 * answer a failure before the first token with the right HTTP status (see the chat-api
 * README's error contract): unreachable or 5xx, rate-limited (429), refused (other 4xx: a
 * bad key, an unknown model), timed out.
 */
export type UpstreamFailureCode = 'INFERENCE_UPSTREAM_UNAVAILABLE' | 'INFERENCE_UPSTREAM_RATE_LIMITED' | 'INFERENCE_UPSTREAM_REFUSED' | 'INFERENCE_GENERATION_TIMEOUT';

/**
 * Rough prompt size in tokens (about four characters per token plus a few per message),
 * used when the engine does not report usage.
 */
export function estimatePromptTokens(messages: readonly ChatMessage[]): number {
  let total = 0;
  for (const m of messages) total += Math.ceil(m.content.length / 4) + 4;
  return total;
}
