import { traceHeaders, type Logger } from '@samosachaat/observability';
import { request } from 'undici';
import type { OpenAiEngineConfig } from '../config.js';
import { UpstreamError, type ChatMessage, type Engine, type EngineChunk, type EngineModel, type EngineStream, type GenerationRequest, type StreamSummary } from './engine.js';
import { parseStreamChunk } from './openai-chunk.js';
import { describeUpstreamFailure, networkFailureCode, readExcerpt, retryAfterSeconds, statusFailureCode } from './upstream-errors.js';
import { SseParser } from './sse-parser.js';

const MODELS_TIMEOUT_MS = 5000;

/** A message in OpenAI's shape: tool calls and tool results as the caller sent them. */
function upstreamMessage(m: ChatMessage): Record<string, unknown> {
  if (m.role === 'tool') return { role: 'tool', content: m.content, tool_call_id: m.toolCallId };
  if (m.toolCalls) return { role: m.role, content: m.content === '' ? null : m.content, tool_calls: m.toolCalls };
  return { role: m.role, content: m.content };
}

/**
 * The production engine: streams from any OpenAI-compatible `POST {base}/chat/completions`
 * (vLLM, SGLang, llama.cpp server, Ollama, OpenAI) with undici, parsing the event stream
 * as it arrives. Loading a model means checking that the upstream serves it; the upstream
 * owns the weights.
 */
export class OpenAiEngine implements Engine {
  readonly id = 'openai';
  // Everything passes through to the upstream, which honours or refuses it itself.
  readonly capabilities = { topP: true, topK: true, stop: true, seed: true, tools: true, responseFormat: true };
  private loaded: string | undefined;
  /** The base URL without credentials, safe for error messages and logs. */
  private readonly displayUrl: string;

  constructor(
    private readonly config: OpenAiEngineConfig,
    private readonly log?: Logger,
  ) {
    const url = new URL(config.baseUrl);
    this.displayUrl = `${url.origin}${url.pathname}`.replace(/\/+$/, '');
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { ...traceHeaders(), ...extra };
    if (this.config.apiKey) headers.authorization = `Bearer ${this.config.apiKey}`;
    return headers;
  }

  /** The models `GET {base}/models` lists; throws an UpstreamError when it cannot tell. */
  async fetchUpstreamModels(): Promise<string[]> {
    const url = `${this.config.baseUrl}/models`;
    let res;
    try {
      res = await request(url, { method: 'GET', headers: this.headers({ accept: 'application/json' }), headersTimeout: MODELS_TIMEOUT_MS, bodyTimeout: MODELS_TIMEOUT_MS, signal: AbortSignal.timeout(MODELS_TIMEOUT_MS) });
    } catch (err) {
      throw new UpstreamError(describeUpstreamFailure(err, this.displayUrl, MODELS_TIMEOUT_MS), { cause: err });
    }
    if (res.statusCode < 200 || res.statusCode >= 300) {
      throw new UpstreamError(`GET ${this.displayUrl}/models answered ${res.statusCode}: ${await readExcerpt(res.body)}`);
    }
    const body = (await res.body.json().catch(() => undefined)) as { data?: Array<{ id?: unknown }> } | undefined;
    if (!Array.isArray(body?.data)) throw new UpstreamError(`GET ${this.displayUrl}/models did not answer an OpenAI model list`);
    return body.data.map((m) => m.id).filter((id): id is string => typeof id === 'string' && id.length > 0);
  }

  /**
   * Reachable, key accepted, model listed: `GET {base}/models` with the configured key, told
   * apart so the doctor and the console can say which of the three failed.
   */
  async probe(): Promise<string> {
    const url = `${this.config.baseUrl}/models`;
    let res;
    try {
      res = await request(url, { method: 'GET', headers: this.headers({ accept: 'application/json' }), headersTimeout: MODELS_TIMEOUT_MS, bodyTimeout: MODELS_TIMEOUT_MS, signal: AbortSignal.timeout(MODELS_TIMEOUT_MS) });
    } catch (err) {
      throw new UpstreamError(`unreachable: ${describeUpstreamFailure(err, this.displayUrl, MODELS_TIMEOUT_MS)}; check OPENAI_BASE_URL and that the model server runs`, { cause: err });
    }
    if (res.statusCode === 401 || res.statusCode === 403) {
      await res.body.dump();
      throw new UpstreamError(`key refused: ${this.displayUrl} answered ${res.statusCode} to the configured API key; check OPENAI_API_KEY`);
    }
    if (res.statusCode < 200 || res.statusCode >= 300) {
      await res.body.dump();
      throw new UpstreamError(`unhealthy: GET ${this.displayUrl}/models answered ${res.statusCode}`);
    }
    const body = (await res.body.json().catch(() => undefined)) as { data?: Array<{ id?: unknown }> } | undefined;
    const served = Array.isArray(body?.data) ? body.data.map((m) => m.id).filter((id): id is string => typeof id === 'string') : undefined;
    const model = this.loaded ?? this.config.model;
    if (served && served.length > 0 && model && !served.includes(model)) {
      throw new UpstreamError(`model not listed: ${this.displayUrl} does not serve "${model}" (it serves: ${served.slice(0, 10).join(', ')}); check OPENAI_MODEL`);
    }
    return `${this.displayUrl} reachable, key accepted${model ? `, serves ${model}` : ''}`;
  }

  async listModels(): Promise<EngineModel[]> {
    let ids: string[];
    try {
      ids = await this.fetchUpstreamModels();
    } catch (err) {
      this.log?.warning({ error: (err as Error).message, upstream: this.displayUrl }, 'upstream_models_unavailable');
      ids = [];
    }
    // The configured and loaded models stay listed when the upstream cannot be asked.
    for (const id of [this.config.model, this.loaded]) if (id && !ids.includes(id)) ids.push(id);
    return ids.map((id) => ({ id }));
  }

  async load(model: string): Promise<void> {
    let served: string[] | undefined;
    try {
      served = await this.fetchUpstreamModels();
    } catch (err) {
      // The upstream may start after us; generations will say so clearly if it stays down.
      this.log?.warning({ error: (err as Error).message, upstream: this.displayUrl, model_tag: model }, 'upstream_models_unavailable');
    }
    if (served && served.length > 0 && !served.includes(model)) {
      throw new UpstreamError(`the upstream at ${this.displayUrl} does not serve model "${model}" (it serves: ${served.slice(0, 20).join(', ')})`);
    }
    this.loaded = model;
  }

  async unload(): Promise<void> {
    this.loaded = undefined;
  }

  stream(req: GenerationRequest, signal: AbortSignal): EngineStream {
    const model = this.loaded;
    if (model === undefined) throw new UpstreamError('the openai engine has no model loaded');
    const summary: StreamSummary = {};
    const { baseUrl, idleTimeoutMs } = this.config;
    const displayUrl = this.displayUrl;
    const payload: Record<string, unknown> = {
      model,
      messages: req.messages.map(upstreamMessage),
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: req.maxTokens,
    };
    if (req.temperature !== undefined) payload.temperature = req.temperature;
    // top_k is an extension (vLLM, llama.cpp, Ollama); OpenAI itself rejects unknown fields.
    if (req.topK !== undefined) payload.top_k = req.topK;
    if (req.topP !== undefined) payload.top_p = req.topP;
    if (req.stop !== undefined) payload.stop = req.stop;
    if (req.seed !== undefined) payload.seed = req.seed;
    // Tools and formats pass through unchanged: the upstream honours or refuses them itself.
    if (req.tools !== undefined) payload.tools = req.tools;
    if (req.toolChoice !== undefined) payload.tool_choice = req.toolChoice;
    if (req.parallelToolCalls !== undefined) payload.parallel_tool_calls = req.parallelToolCalls;
    if (req.responseFormat !== undefined) payload.response_format = req.responseFormat;
    const headers = () => this.headers({ 'content-type': 'application/json', accept: 'text/event-stream' });

    async function* chunks(): AsyncGenerator<EngineChunk> {
      let res;
      try {
        res = await request(`${baseUrl}/chat/completions`, { method: 'POST', headers: headers(), body: JSON.stringify(payload), signal, headersTimeout: idleTimeoutMs, bodyTimeout: idleTimeoutMs });
      } catch (err) {
        if (signal.aborted) throw err;
        throw new UpstreamError(describeUpstreamFailure(err, displayUrl, idleTimeoutMs), { cause: err, code: networkFailureCode(err) });
      }
      if (res.statusCode < 200 || res.statusCode >= 300) {
        // Coded so chat-api can answer 503 (+ the upstream's Retry-After), 502 or 504.
        throw new UpstreamError(`upstream answered ${res.statusCode}: ${await readExcerpt(res.body)}`, {
          code: statusFailureCode(res.statusCode),
          retryAfter: retryAfterSeconds(res.headers['retry-after']),
        });
      }
      const type = String(res.headers['content-type'] ?? '');
      if (!type.startsWith('text/event-stream')) {
        const excerpt = await readExcerpt(res.body);
        throw new UpstreamError(`upstream answered ${type || 'no content-type'} instead of text/event-stream: ${excerpt}`);
      }
      const parser = new SseParser();
      let finished = false;
      try {
        for await (const data of res.body) {
          for (const event of parser.push(data as Buffer)) {
            if (event.data === '[DONE]') {
              finished = true;
              break;
            }
            const parsed = parseStreamChunk(event.data);
            if (parsed.promptTokens !== undefined) summary.promptTokens = parsed.promptTokens;
            if (parsed.completionTokens !== undefined) summary.completionTokens = parsed.completionTokens;
            if (parsed.model) summary.responseModel = parsed.model;
            if (parsed.finishReason) summary.finishReason = parsed.finishReason;
            if (parsed.content) yield { token: parsed.content };
            if (parsed.toolCalls) yield { token: '', toolCalls: parsed.toolCalls };
          }
          // Everything after [DONE] is ignored; leaving the loop releases the body.
          if (finished) break;
        }
      } catch (err) {
        if (signal.aborted || err instanceof UpstreamError) throw err;
        throw new UpstreamError(describeUpstreamFailure(err, displayUrl, idleTimeoutMs, true), { cause: err, code: networkFailureCode(err) });
      }
      if (!finished && summary.finishReason === undefined) {
        throw new UpstreamError('upstream closed the stream before it finished (no finish_reason and no [DONE])');
      }
      summary.finishReason ??= 'stop';
    }

    const iterable = chunks();
    return { summary, [Symbol.asyncIterator]: () => iterable };
  }
}
