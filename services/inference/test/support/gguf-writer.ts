/**
 * Writes a small, valid llama-architecture GGUF (version 3) from the format's specification:
 * header, metadata key/values, tensor infos, then F32 tensor data aligned to 32 bytes. The
 * weights are random (seeded), so the model produces gibberish, but llama.cpp loads it and
 * decodes it like any other model: tests assert structure, token counts and determinism, not
 * content. The vocabulary is a SentencePiece-style (`llama`) one with control tokens, the 256
 * byte-fallback tokens and a few hundred pieces, and the file carries a chat template so the
 * chat format is never guessed.
 */
import { writeFileSync } from 'node:fs';

/** GGUF metadata value types. */
const T = { UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9 } as const;
const ALIGN = 32;

export interface TinyModelOptions {
  /** Embedding width (n_embd); a multiple of `heads`. */
  embd?: number;
  heads?: number;
  layers?: number;
  /** Feed-forward width (n_ff). */
  ff?: number;
  /** Trained context length written to `llama.context_length`. */
  contextLength?: number;
  /** Seed of the random weights. */
  seed?: number;
  /** `general.name`. */
  name?: string;
  /** Leave metadata keys out, to build malformed files. */
  omitKeys?: readonly string[];
}

type Value =
  | { t: 'u32'; v: number }
  | { t: 'f32'; v: number }
  | { t: 'str'; v: string }
  | { t: 'bool'; v: boolean }
  | { t: 'arr-str'; v: string[] }
  | { t: 'arr-f32'; v: number[] }
  | { t: 'arr-i32'; v: number[] };

class ByteSink {
  private parts: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    this.parts.push(b);
    this.length += b.length;
  }
  u32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    this.push(b);
  }
  i32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(n);
    this.push(b);
  }
  u64(n: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    this.push(b);
  }
  f32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(n);
    this.push(b);
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
  pad(): void {
    const rest = this.length % ALIGN;
    if (rest !== 0) this.push(Buffer.alloc(ALIGN - rest));
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function writeValue(out: ByteSink, value: Value): void {
  switch (value.t) {
    case 'u32':
      out.u32(T.UINT32);
      out.u32(value.v);
      return;
    case 'f32':
      out.u32(T.FLOAT32);
      out.f32(value.v);
      return;
    case 'str':
      out.u32(T.STRING);
      out.str(value.v);
      return;
    case 'bool':
      out.u32(T.BOOL);
      out.push(Buffer.from([value.v ? 1 : 0]));
      return;
    case 'arr-str':
      out.u32(T.ARRAY);
      out.u32(T.STRING);
      out.u64(value.v.length);
      for (const s of value.v) out.str(s);
      return;
    case 'arr-f32':
      out.u32(T.ARRAY);
      out.u32(T.FLOAT32);
      out.u64(value.v.length);
      for (const n of value.v) out.f32(n);
      return;
    case 'arr-i32':
      out.u32(T.ARRAY);
      out.u32(T.INT32);
      out.u64(value.v.length);
      for (const n of value.v) out.i32(n);
      return;
  }
}

/** A Zephyr-style template: `<|role|>` headers, turns ended by `</s>`. */
export const TINY_CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + eos_token + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}";

/** Control tokens, 256 byte-fallback tokens, then pieces (letters, syllables, words). */
function vocabulary(): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [2, 3, 3];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6);
  }
  const pieces = new Set<string>(['▁', '<|user|>', '<|assistant|>', '<|system|>']);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  for (const c of letters) pieces.add(c).add(`▁${c}`);
  for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?:;-\'"()') pieces.add(c);
  for (const w of ['the', 'and', 'spice', 'dal', 'tea', 'chai', 'samosa', 'cook', 'heat', 'oil', 'salt', 'is', 'to', 'of', 'in', 'it']) pieces.add(`▁${w}`).add(w);
  for (const a of 'aeiou') for (const b of 'nrst') pieces.add(a + b);
  for (const p of pieces) {
    tokens.push(p);
    types.push(p.startsWith('<|') ? 3 : 1);
  }
  // Longer pieces score higher, as a trained SentencePiece model's merges would.
  const scores = tokens.map((t, i) => (types[i] === 1 ? -i / 100 + t.length : 0));
  return { tokens, scores, types };
}

/** A deterministic PRNG (mulberry32) for the weights. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The bytes of a tiny llama GGUF; see the file comment. */
export function tinyLlamaGguf(options: TinyModelOptions = {}): Buffer {
  const embd = options.embd ?? 64;
  const heads = options.heads ?? 4;
  const layers = options.layers ?? 2;
  const ff = options.ff ?? 128;
  const ctx = options.contextLength ?? 2048;
  const vocab = vocabulary();
  const nVocab = vocab.tokens.length;
  const omit = new Set(options.omitKeys ?? []);

  const meta: Array<[string, Value]> = [
    ['general.architecture', { t: 'str', v: 'llama' }],
    ['general.name', { t: 'str', v: options.name ?? 'tiny-test-llama' }],
    ['general.file_type', { t: 'u32', v: 0 }],
    ['general.alignment', { t: 'u32', v: ALIGN }],
    ['llama.context_length', { t: 'u32', v: ctx }],
    ['llama.embedding_length', { t: 'u32', v: embd }],
    ['llama.block_count', { t: 'u32', v: layers }],
    ['llama.feed_forward_length', { t: 'u32', v: ff }],
    ['llama.attention.head_count', { t: 'u32', v: heads }],
    ['llama.attention.head_count_kv', { t: 'u32', v: heads }],
    ['llama.rope.dimension_count', { t: 'u32', v: embd / heads }],
    ['llama.attention.layer_norm_rms_epsilon', { t: 'f32', v: 1e-5 }],
    ['llama.vocab_size', { t: 'u32', v: nVocab }],
    ['tokenizer.ggml.model', { t: 'str', v: 'llama' }],
    ['tokenizer.ggml.tokens', { t: 'arr-str', v: vocab.tokens }],
    ['tokenizer.ggml.scores', { t: 'arr-f32', v: vocab.scores }],
    ['tokenizer.ggml.token_type', { t: 'arr-i32', v: vocab.types }],
    ['tokenizer.ggml.unknown_token_id', { t: 'u32', v: 0 }],
    ['tokenizer.ggml.bos_token_id', { t: 'u32', v: 1 }],
    ['tokenizer.ggml.eos_token_id', { t: 'u32', v: 2 }],
    ['tokenizer.ggml.add_bos_token', { t: 'bool', v: true }],
    ['tokenizer.chat_template', { t: 'str', v: TINY_CHAT_TEMPLATE }],
  ];
  const kept = meta.filter(([k]) => !omit.has(k));

  // Tensor shapes in GGML order (ne0 first).
  const tensors: Array<[string, number[]]> = [['token_embd.weight', [embd, nVocab]]];
  for (let i = 0; i < layers; i++) {
    tensors.push(
      [`blk.${i}.attn_norm.weight`, [embd]],
      [`blk.${i}.attn_q.weight`, [embd, embd]],
      [`blk.${i}.attn_k.weight`, [embd, embd]],
      [`blk.${i}.attn_v.weight`, [embd, embd]],
      [`blk.${i}.attn_output.weight`, [embd, embd]],
      [`blk.${i}.ffn_norm.weight`, [embd]],
      [`blk.${i}.ffn_gate.weight`, [embd, ff]],
      [`blk.${i}.ffn_down.weight`, [ff, embd]],
      [`blk.${i}.ffn_up.weight`, [embd, ff]],
    );
  }
  tensors.push(['output_norm.weight', [embd]], ['output.weight', [embd, nVocab]]);

  const out = new ByteSink();
  out.push(Buffer.from('GGUF', 'ascii'));
  out.u32(3);
  out.u64(tensors.length);
  out.u64(kept.length);
  for (const [key, value] of kept) {
    out.str(key);
    writeValue(out, value);
  }
  let offset = 0;
  const sizes: number[] = [];
  for (const [name, dims] of tensors) {
    out.str(name);
    out.u32(dims.length);
    for (const d of dims) out.u64(d);
    out.u32(0); // GGML_TYPE_F32
    out.u64(offset);
    const bytes = dims.reduce((a, b) => a * b, 1) * 4;
    sizes.push(bytes);
    offset += Math.ceil(bytes / ALIGN) * ALIGN;
  }
  out.pad();
  const rnd = random(options.seed ?? 1);
  tensors.forEach(([name], i) => {
    const count = (sizes[i] as number) / 4;
    const data = Buffer.alloc(count * 4);
    const isNorm = name.endsWith('norm.weight');
    for (let j = 0; j < count; j++) data.writeFloatLE(isNorm ? 1 : (rnd() - 0.5) * 0.2, j * 4);
    out.push(data);
    out.pad();
  });
  return out.bytes();
}

/** Writes `tinyLlamaGguf(options)` to `path` and returns the path. */
export function writeTinyLlamaGguf(path: string, options: TinyModelOptions = {}): string {
  writeFileSync(path, tinyLlamaGguf(options));
  return path;
}
