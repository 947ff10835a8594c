import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@samosachaat/observability';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatHistoryItem, ChatWrapper, Llama, LlamaChat as LlamaChatClass, LlamaContext, LlamaContextSequence, LlamaModel, resolveChatWrapper as ResolveChatWrapper } from 'node-llama-cpp';
import type { LlamaEngineConfig } from '../config.js';
import { estimatePromptTokens, UpstreamError, type Engine, type EngineChunk, type EngineModel, type EngineStream, type GenerationRequest, type StreamSummary } from './engine.js';
import { assertFitsInMemory, listGgufFiles, modelIdOf, readGgufDetails, resolveModelFile, type GgufDetails } from './gguf-files.js';

// Per sequence when LLAMA_CONTEXT_SIZE is 0: the trained context, capped.
const DEFAULT_SEQUENCE_CONTEXT = 4096;
const PROBE_STDERR_CHARS = 2000;
const SEQUENCE_WAIT_MS = 2000;

/** A model the llama engine lists, with what its GGUF header says. */
export interface LlamaModelInfo extends EngineModel {
  details: GgufDetails;
}

/**
 * The local engine: llama.cpp through node-llama-cpp, on the CPU build only. Serves the GGUF
 * files of MODELS_DIR; one model is loaded at a time, with one context holding `sequences`
 * parallel sequences (the worker pool's WORKERS), so concurrent generations decode together
 * in one batch. Each generation takes a free sequence and gives it back the moment it ends or
 * is aborted. Before a file is loaded here it is loaded once in a child process (unless
 * LLAMA_PROBE=false), so a file that makes llama.cpp abort only takes the child down.
 */
export class LlamaEngine implements Engine {
  readonly id = 'llama';
  readonly capabilities = { topP: true, topK: true, stop: true, seed: true, tools: false, responseFormat: false };
  private llama: Llama | undefined;
  /**
   * node-llama-cpp's LlamaChat, kept from the load: an `import()` per generation is a round
   * trip through the module loader (under tsx, a message to its loader thread and back) on
   * the way to the first token.
   */
  private chatClass: typeof LlamaChatClass | undefined;
  private resolveChatWrapper: typeof ResolveChatWrapper | undefined;
  /**
   * The loaded model's chat wrapper, resolved once at the load (what `new LlamaChat` resolves
   * itself when given none: `resolveChatWrapper(model)`). Left to LlamaChat, every generation
   * tried the file's Jinja template against node-llama-cpp's specialised wrappers again: 0.35–
   * 0.6 s of the main thread's CPU per generation for the benchmark model's template (1 s of
   * wall time on the loaded 2-core machine), before the prompt was even tokenized. A wrapper
   * holds its settings only, so concurrent generations share it.
   */
  private chatWrapper: ChatWrapper | undefined;
  private model: LlamaModel | undefined;
  private context: LlamaContext | undefined;
  private loadedId: string | undefined;
  private loading: { model: string; progress: number } | undefined;

  constructor(
    private readonly config: LlamaEngineConfig,
    private readonly sequences: number,
    private readonly log: Logger,
  ) {}

  /** The model being loaded and how far (0..1), while a load runs. */
  get loadProgress(): { model: string; progress: number } | undefined {
    return this.loading;
  }

  async listModels(): Promise<LlamaModelInfo[]> {
    const files = await listGgufFiles(this.config.modelsDir);
    const out: LlamaModelInfo[] = [];
    for (const file of files) {
      const path = await resolveModelFile(this.config.modelsDir, file);
      out.push({ id: modelIdOf(file), details: await readGgufDetails(path, file) });
    }
    return out;
  }

  async load(model: string): Promise<void> {
    const path = await resolveModelFile(this.config.modelsDir, model);
    const size = (await stat(path)).size;
    assertFitsInMemory(path, size);
    this.loading = { model, progress: 0 };
    try {
      if (this.config.probe) await probeModelFile(path);
      const llama = await this.runtime();
      // The console shows the load in steps of 10 % (`model_load_progress`); /health shows the percent.
      let shownStep = -1;
      const loaded = await llama
        .loadModel({
          modelPath: path,
          gpuLayers: 0,
          onLoadProgress: (p) => {
            if (this.loading) this.loading.progress = p;
            const step = Math.floor(p * 10);
            if (step > shownStep) {
              shownStep = step;
              this.log.info({ model_tag: model, percent: step * 10, size_bytes: size }, 'model_load_progress');
            }
          },
        })
        .catch((err: unknown) => {
          throw new UpstreamError(`model file ${path} cannot be loaded: ${(err as Error).message}`, { cause: err });
        });
      try {
        // Per sequence: llama.cpp gives every sequence this many tokens of one shared KV cache.
        const contextSize = this.config.contextSize > 0 ? this.config.contextSize : Math.min(loaded.trainContextSize, DEFAULT_SEQUENCE_CONTEXT);
        this.context = await loaded.createContext({ sequences: this.sequences, contextSize, threads: this.config.threads, ignoreMemorySafetyChecks: false });
      } catch (err) {
        await loaded.dispose();
        throw new UpstreamError(`model file ${path} loaded, but its context (${this.sequences} sequences) cannot be created: ${(err as Error).message}`, { cause: err });
      }
      this.chatWrapper = (this.resolveChatWrapper as typeof ResolveChatWrapper)(loaded);
      this.model = loaded;
      this.loadedId = model;
      this.log.info({ model_tag: model, file: path, size_bytes: size, threads: this.config.threads, sequences: this.sequences, context_size: this.context.contextSize }, 'llama_model_ready');
    } finally {
      this.loading = undefined;
    }
  }

  async unload(): Promise<void> {
    const { context, model } = this;
    this.context = undefined;
    this.model = undefined;
    this.loadedId = undefined;
    this.chatWrapper = undefined;
    await context?.dispose();
    await model?.dispose();
  }

  stream(request: GenerationRequest, signal: AbortSignal): EngineStream {
    const loadedContext = this.context;
    const modelId = this.loadedId;
    if (loadedContext === undefined || modelId === undefined) throw new UpstreamError('the llama engine has no model loaded');
    const context: LlamaContext = loadedContext;
    if (this.chatClass === undefined || this.chatWrapper === undefined) throw new UpstreamError('the llama engine has no model loaded');
    const LlamaChat: typeof LlamaChatClass = this.chatClass;
    const chatWrapper: ChatWrapper = this.chatWrapper;
    const summary: StreamSummary = { promptTokens: estimatePromptTokens(request.messages), responseModel: modelId };

    async function* chunks(): AsyncGenerator<EngineChunk> {
      signal.throwIfAborted();
      // Synchronous when a sequence is free (the worker pool sees to that): no wait on the way.
      const sequence = context.sequencesLeft > 0 ? context.getSequence() : await freeSequence(context, signal);
      const chat = new LlamaChat({ contextSequence: sequence, chatWrapper });
      // A cancel gives the sequence back at once, not when the consumer next reads.
      const release = () => chat.dispose({ disposeSequence: true });
      signal.addEventListener('abort', release, { once: true });
      const history = toHistory(request.messages);
      const queue: string[] = [];
      let wake: (() => void) | undefined;
      let done = false;
      let failure: unknown;
      let completion = 0;
      let counted = 0;
      try {
        const generation = chat
          .generateResponse(history, {
            maxTokens: request.maxTokens,
            temperature: request.temperature ?? 0.8,
            ...(request.topK !== undefined ? { topK: request.topK } : {}),
            ...(request.topP !== undefined ? { topP: request.topP } : {}),
            ...(request.seed !== undefined ? { seed: request.seed } : {}),
            ...(request.stop !== undefined ? { customStopTriggers: request.stop } : {}),
            signal,
            stopOnAbortSignal: false,
            onToken: (tokens) => {
              completion += tokens.length;
              summary.completionTokens = completion;
            },
            onTextChunk: (text) => {
              queue.push(text);
              wake?.();
            },
          })
          .then(
            (res) => {
              summary.finishReason = res.metadata.stopReason === 'maxTokens' ? 'length' : 'stop';
            },
            (err: unknown) => {
              failure = err;
            },
          )
          .finally(() => {
            done = true;
            wake?.();
          });
        for (;;) {
          if (queue.length > 0) {
            // Everything decoded since the last chunk, with the tokens it took. No empty frame:
            // tokens without text yet (part of a character) count with the next text.
            const token = queue.splice(0).join('');
            if (token === '') continue;
            const tokens = completion - counted;
            counted = completion;
            yield { token, tokens };
            continue;
          }
          if (done) break;
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
        await generation;
        if (failure !== undefined) {
          if (signal.aborted) throw signal.reason;
          throw new UpstreamError(`llama.cpp generation failed: ${(failure as Error).message}`, { cause: failure });
        }
      } finally {
        // Frees the sequence at once, also when the consumer stops early or the signal fired.
        signal.removeEventListener('abort', release);
        release();
        // The prompt's real token count, once decoding is over (or stopped): rendering the chat
        // template and tokenizing it before generateResponse, which does both itself, would
        // delay the first token for a number needed only at the end.
        summary.promptTokens = promptTokenCount(chatWrapper, history, context) ?? summary.promptTokens;
      }
    }

    const iterable = chunks();
    return { summary, [Symbol.asyncIterator]: () => iterable };
  }

  private async runtime(): Promise<Llama> {
    if (this.llama) return this.llama;
    const { getLlama, LlamaChat, LlamaLogLevel, resolveChatWrapper } = await import('node-llama-cpp');
    this.chatClass = LlamaChat;
    this.resolveChatWrapper = resolveChatWrapper;
    this.llama = await getLlama({
      gpu: false,
      build: 'never',
      skipDownload: true,
      progressLogs: false,
      maxThreads: this.config.threads,
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => {
        const text = message.trim();
        if (text !== '') this.log.warning({ llama_level: level, detail: text }, 'llama_cpp_message');
      },
    });
    return this.llama;
  }
}

/**
 * A free sequence of `context`. The worker pool admits at most as many generations as there
 * are sequences, so one is free unless a finished generation is still handing its back; wait
 * for that briefly instead of failing.
 */
async function freeSequence(context: LlamaContext, signal: AbortSignal): Promise<LlamaContextSequence> {
  const deadline = performance.now() + SEQUENCE_WAIT_MS;
  while (context.sequencesLeft === 0 && performance.now() < deadline) {
    signal.throwIfAborted();
    await sleep(5);
  }
  return context.getSequence();
}

/** The prompt's token count as the model's chat template renders `history`; undefined once the model is gone. */
function promptTokenCount(chatWrapper: ChatWrapper, history: ChatHistoryItem[], context: LlamaContext): number | undefined {
  try {
    return chatWrapper.generateContextState({ chatHistory: history }).contextText.tokenize(context.model.tokenizer).length;
  } catch {
    return undefined;
  }
}

function toHistory(messages: GenerationRequest['messages']): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((m) =>
    m.role === 'system' ? { type: 'system', text: m.content } : m.role === 'user' ? { type: 'user', text: m.content } : { type: 'model', response: [m.content] },
  );
  history.push({ type: 'model', response: [] });
  return history;
}

/**
 * Loads `path` in a child process first: resolves when llama.cpp accepts it; otherwise throws
 * an UpstreamError naming the file and what llama.cpp said (or the signal it died of).
 */
export async function probeModelFile(path: string): Promise<void> {
  const here = fileURLToPath(import.meta.url);
  const script = join(dirname(here), `llama-probe${extname(here)}`);
  const child = spawn(process.execPath, [...loaderArgs(process.execArgv), script, path], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-PROBE_STDERR_CHARS);
  });
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve({ code: c, signal: s }));
  });
  if (code === 0) return;
  const said = lastMeaningfulLine(stderr);
  const how = signal ? `llama.cpp aborted (${signal}) while reading it` : 'llama.cpp refused it';
  throw new UpstreamError(`model file ${path} cannot be loaded: ${how}${said ? `: ${said}` : ''}`);
}

/**
 * The flags the probe needs to run this source: `--conditions` and the tsx loader. Other
 * preloads are left out (`npm start`'s parent guard would stop the probe at once).
 */
function loaderArgs(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i] as string;
    if (arg.startsWith('--conditions') || arg === '-C') {
      out.push(arg);
      if (!arg.includes('=')) out.push(execArgv[++i] ?? '');
    } else if (arg === '--import=tsx' || (arg === '--import' && execArgv[i + 1] === 'tsx')) {
      out.push('--import', 'tsx');
      if (arg === '--import') i++;
    }
  }
  return out;
}

function lastMeaningfulLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#') && !/^\[?0x[0-9a-f]+/i.test(l));
  const assertLine = lines.find((l) => l.includes('GGML_ASSERT') || l.includes('error'));
  return (assertLine ?? lines.at(-1) ?? '').slice(0, 300);
}
