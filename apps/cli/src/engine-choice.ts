/**
 * Which engine `samosachaat start` gives inference: ENGINE when it is set; `llama` with the
 * file of `--model PATH`; `llama` when MODELS_DIR (default DATA_DIR/models) holds a GGUF
 * file; the demo engine otherwise.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export interface EngineChoice {
  /** Variables added to inference's environment. */
  env: Record<string, string>;
  /** One line for the terminal, e.g. `llama, model qwen2.5-0.5b-instruct-q4_k_m (…/models)`. */
  description: string;
  /** The llama engine: loading may take minutes on a CPU. */
  local: boolean;
}

/** A bad `--model`: the message names the path and what is wrong. */
export class EngineChoiceError extends Error {}

function ggufFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => /\.gguf$/i.test(n) && !n.startsWith('.'))
    .filter((n) => statSync(join(dir, n), { throwIfNoEntry: false })?.isFile() === true)
    .sort();
}

export function chooseEngine(env: Readonly<Record<string, string | undefined>>, cwd: string, dataDir: string, modelPath: string | undefined): EngineChoice {
  const explicit = env['ENGINE']?.trim().toLowerCase();
  if (modelPath !== undefined) {
    if (explicit && explicit !== 'llama') throw new EngineChoiceError(`--model needs the llama engine, but ENGINE=${explicit}; unset ENGINE`);
    const file = resolve(cwd, modelPath);
    const st = statSync(file, { throwIfNoEntry: false });
    if (!st?.isFile()) throw new EngineChoiceError(`--model ${modelPath}: no such file (give the path of a .gguf file)`);
    if (!/\.gguf$/i.test(file)) throw new EngineChoiceError(`--model ${modelPath}: not a .gguf file`);
    return {
      env: { ENGINE: 'llama', MODELS_DIR: dirname(file), LLAMA_MODEL: basename(file) },
      description: `llama, model ${basename(file)} (${dirname(file)})`,
      local: true,
    };
  }
  const modelsDir = resolve(cwd, env['MODELS_DIR']?.trim() || join(dataDir, 'models'));
  if (explicit && explicit !== 'llama') return { env: {}, description: explicit === 'demo' ? 'demo (not a language model)' : explicit === 'openai' ? openAiDescription(env) : explicit, local: false };
  const files = ggufFiles(modelsDir);
  if (files.length === 0) {
    if (explicit === 'llama') throw new EngineChoiceError(`ENGINE=llama, but ${modelsDir} holds no .gguf file (MODELS_DIR; see README: Local models)`);
    return { env: {}, description: `demo (not a language model; put a .gguf file in ${modelsDir} to serve a real one)`, local: false };
  }
  const wanted = env['LLAMA_MODEL']?.trim();
  return {
    env: { ENGINE: 'llama', MODELS_DIR: modelsDir },
    description: `llama, model ${wanted || files[0]} (${modelsDir}${files.length > 1 ? `, ${files.length} models` : ''})`,
    local: true,
  };
}

/** What the banner says of ENGINE=openai: the model and the upstream, without credentials. */
function openAiDescription(env: Record<string, string | undefined>): string {
  const model = env['OPENAI_MODEL']?.trim();
  let where = '';
  try {
    const url = new URL(env['OPENAI_BASE_URL']?.trim() ?? '');
    where = ` at ${url.origin}${url.pathname}`.replace(/\/+$/, '');
  } catch {
    // inference itself names a bad OPENAI_BASE_URL when it starts
  }
  return `openai${model ? `, model ${model}` : ''}${where} (an OpenAI-compatible model server)`;
}
