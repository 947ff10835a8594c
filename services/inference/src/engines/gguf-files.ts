import { readFileSync } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { freemem } from 'node:os';
import { join, sep } from 'node:path';
import { UpstreamError, type ModelDetails } from './engine.js';

/** What `/models` shows about a GGUF file, read from its header. */
export type GgufDetails = ModelDetails;

// general.file_type (llama_ftype) → its usual name.
const FILE_TYPES: Record<number, string> = {
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 7: 'Q8_0', 8: 'Q5_0', 9: 'Q5_1', 10: 'Q2_K', 11: 'Q3_K_S', 12: 'Q3_K_M', 13: 'Q3_K_L',
  14: 'Q4_K_S', 15: 'Q4_K_M', 16: 'Q5_K_S', 17: 'Q5_K_M', 18: 'Q6_K', 19: 'IQ2_XXS', 20: 'IQ2_XS', 21: 'Q2_K_S', 22: 'IQ3_XS',
  23: 'IQ3_XXS', 24: 'IQ1_S', 25: 'IQ4_NL', 26: 'IQ3_S', 27: 'IQ3_M', 28: 'IQ2_S', 29: 'IQ2_M', 30: 'IQ4_XS', 31: 'IQ1_M', 32: 'BF16',
  36: 'TQ1_0', 37: 'TQ2_0', 38: 'MXFP4',
};

/** The model id of a file: its name without `.gguf`. */
export function modelIdOf(fileName: string): string {
  return fileName.replace(/\.gguf$/i, '');
}

/** A model id that can only name a file directly inside the models folder. */
function checkModelName(model: string): void {
  if (model === '' || model === '.' || model === '..' || /[/\\\0]/.test(model) || model.startsWith('.')) {
    throw new UpstreamError(`"${model}" is not a model name: give a GGUF file name from the models folder, without a path`);
  }
}

/**
 * Resolves a model id to its GGUF file inside `dir`: the id may not contain a path, and the
 * file's real path (symlinks followed) must still lie inside the real `dir`.
 */
export async function resolveModelFile(dir: string, model: string): Promise<string> {
  checkModelName(model);
  const realDir = await realpath(dir).catch(() => {
    throw new UpstreamError(`the models folder ${dir} does not exist (MODELS_DIR)`);
  });
  const candidates = /\.gguf$/i.test(model) ? [model] : [`${model}.gguf`, `${model}.GGUF`];
  for (const name of candidates) {
    const path = join(realDir, name);
    const real = await realpath(path).catch(() => undefined);
    if (real === undefined) continue;
    if (!real.startsWith(realDir + sep)) throw new UpstreamError(`model "${model}" is a link to ${real}, outside the models folder ${realDir}; copy the file into the folder instead`);
    const st = await stat(real);
    if (!st.isFile()) throw new UpstreamError(`model "${model}" (${real}) is not a regular file`);
    return real;
  }
  throw new UpstreamError(`no file ${candidates[0]} in the models folder ${realDir}`);
}

/** The GGUF files directly inside `dir` (links that leave it are left out), by name. */
export async function listGgufFiles(dir: string): Promise<string[]> {
  const realDir = await realpath(dir).catch(() => undefined);
  if (realDir === undefined) return [];
  const names = (await readdir(realDir)).filter((n) => /\.gguf$/i.test(n) && !n.startsWith('.')).sort();
  const out: string[] = [];
  for (const name of names) {
    const path = join(realDir, name);
    const link = await lstat(path).catch(() => undefined);
    if (!link) continue;
    const real = link.isSymbolicLink() ? await realpath(path).catch(() => undefined) : path;
    if (real === undefined || !real.startsWith(realDir + sep)) continue;
    if ((await stat(real)).isFile()) out.push(name);
  }
  return out;
}

/**
 * Memory that can be given to a model now: MemAvailable from /proc/meminfo (page cache that
 * can be dropped counts), else the free memory the OS reports.
 */
export function availableMemoryBytes(): number {
  try {
    const match = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // Not Linux: fall back below.
  }
  return freemem();
}

/**
 * Refuses a file that cannot fit: its weights plus 10 % for the context and compute buffers
 * must fit in the available memory. Checked before anything is loaded.
 */
export function assertFitsInMemory(file: string, sizeBytes: number, available: number = availableMemoryBytes()): void {
  const needed = Math.ceil(sizeBytes * 1.1);
  if (needed > available) {
    const gib = (n: number) => `${(n / 1024 ** 3).toFixed(2)} GiB`;
    throw new UpstreamError(
      `model file ${file} needs about ${gib(needed)} of memory and only ${gib(available)} is available; choose a smaller model or quantisation (e.g. Q4_K_M) or free memory`,
    );
  }
}

/** Reads what `/models` shows from the GGUF header (no tensor data is read). */
export async function readGgufDetails(path: string, fileName: string): Promise<GgufDetails> {
  const { readGgufFileInfo } = await import('node-llama-cpp');
  const size = (await stat(path)).size;
  try {
    const info = await readGgufFileInfo(path, { readTensorInfo: false });
    const meta = info.metadata as unknown as Record<string, Record<string, unknown> | undefined>;
    const general = meta['general'] ?? {};
    const arch = typeof general['architecture'] === 'string' ? general['architecture'] : null;
    const archMeta = arch ? meta[arch] : undefined;
    const ctx = archMeta?.['context_length'];
    const fileType = general['file_type'];
    return {
      file: fileName,
      size_bytes: size,
      architecture: arch,
      quantisation: typeof fileType === 'number' ? (FILE_TYPES[fileType] ?? `file_type ${fileType}`) : null,
      context_length: typeof ctx === 'number' ? ctx : null,
    };
  } catch {
    // Not a readable GGUF: listed, so the operator sees it, with nothing known about it.
    return { file: fileName, size_bytes: size, architecture: null, quantisation: null, context_length: null };
  }
}
