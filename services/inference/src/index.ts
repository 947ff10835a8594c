/**
 * @samosachaat/inference — the inference service (:8003): demo and OpenAI-compatible engines
 * behind a bounded worker pool, an SSE generation API and an OpenAI-compatible API.
 */
export { buildApp } from './app.js';
export type { AppDeps } from './app.js';
export { configFromEnv, DEMO_MODELS } from './config.js';
export type { DemoEngineConfig, EngineKind, InferenceConfig, OpenAiEngineConfig } from './config.js';
export { INFERENCE_ERRORS, OverCapacityError } from './errors.js';
export type { InferenceErrorCode } from './errors.js';
export { DemoEngine } from './engines/demo-engine.js';
export { OpenAiEngine } from './engines/openai-engine.js';
export { estimatePromptTokens, UpstreamError } from './engines/engine.js';
export type { ChatMessage, Engine, EngineChunk, EngineModel, EngineStream, FinishReason, GenerationRequest, StreamSummary } from './engines/engine.js';
export { SseParser } from './engines/sse-parser.js';
export type { SseEvent } from './engines/sse-parser.js';
export { createInferenceMetrics } from './metrics.js';
export type { InferenceMetrics, RejectionReason } from './metrics.js';
export type { GenerateBody, GenerationParams, RequestLimits } from './generation/generation-params.js';
export type { ModelInfo, SwapResult } from './generation/model-manager.js';
export type { InferenceRuntime } from './runtime.js';
