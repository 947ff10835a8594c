/**
 * The demo engine's text: a deterministic composer of template sentences that echo the
 * topic of the last user message. It is NOT a language model; it exists so the platform
 * streams believable answers with zero download, and so tests get the same tokens for the
 * same input.
 */
import type { ChatMessage, FinishReason } from './engine.js';

/** FNV-1a, 32 bits: a stable seed from text. */
export function hashText(text: string, basis = 0x811c9dc5): number {
  let h = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** mulberry32: a small seeded PRNG returning numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The default seed: derived from the conversation, so the same messages give the same answer. */
export function seedFromMessages(messages: readonly ChatMessage[]): number {
  let h = 0x811c9dc5;
  for (const m of messages) h = hashText(`${m.role}\u0000${m.content}\u0001`, h);
  return h;
}

const STOPWORDS = new Set(
  'a about above after again all also am an and any are as at be because been before being below between both but by can could did do does doing down during each few for from further had has have having he her here hers how i if in into is it its just me more most my no nor not now of off on once only or other our out over own same she should so some such than that the their them then there these they this those through to too under until up very was we were what when where which while who whom why will with would you your please tell explain give show write make help know want need like get'.split(' '),
);

/** Up to three content words of the last user message, in order of appearance. */
export function topicOf(messages: readonly ChatMessage[]): string {
  const last = [...messages].reverse().find((m) => m.role === 'user');
  const words = (last?.content.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'-]*/gu) ?? []).filter((w) => w.length > 2 && !STOPWORDS.has(w));
  const unique = [...new Set(words)].slice(0, 3).map((w) => w.slice(0, 40));
  return unique.length > 0 ? unique.join(' ') : 'your question';
}

const ADJECTIVES = ['useful', 'simple', 'careful', 'practical', 'common', 'reliable', 'clear', 'gradual', 'small', 'steady', 'honest', 'patient', 'curious', 'concrete', 'measured', 'quiet'];
const NOUNS = ['examples', 'trade-offs', 'a checklist', 'the basics', 'a quick sketch', 'real data', 'a small experiment', 'the edge cases', 'a second opinion', 'the documentation', 'a timeline', 'the numbers', 'a diagram', 'the first principles', 'a short summary', 'the details'];
const VERBS = ['approach', 'explore', 'untangle', 'revisit', 'compare', 'question', 'test', 'outline', 'summarise', 'simplify', 'measure', 'sketch'];
const CONNECTIVES = ['In practice,', 'Usually,', 'Often,', 'Then again,', 'Either way,', 'As a rule,', 'In short,', 'Put simply,'];

const TEMPLATES = [
  '{C} {topic} is easier with {N} and {N}.',
  'A {A} way to think about {topic} is to {V} {N} first.',
  'Most people {V} {topic} by starting from {N}.',
  '{C} the {A} part of {topic} is {N}.',
  'It helps to {V} {N} before you {V} {topic}.',
  'When {topic} gets confusing, {N} and a {A} pace go a long way.',
  '{C} {A} progress on {topic} comes from {N}.',
  'Try to {V} {topic} with {N}; it is {A} and quick.',
];

/** What {@link composeAnswer} needs. */
export interface ComposeOptions {
  messages: readonly ChatMessage[];
  seed: number;
  /** 0 always takes the first candidate; 1 and above draws from all `topK` candidates. */
  temperature: number;
  /** How many candidates each slot draws from. */
  topK: number;
  maxTokens: number;
  /** Answer length range in words, before `maxTokens` cuts it. */
  minWords: number;
  maxWords: number;
}

/** The tokens of an answer (words with their leading space) and why it stopped. */
export interface ComposedAnswer {
  tokens: string[];
  finishReason: FinishReason;
}

/** Composes the demo answer: deterministic for the same messages, seed and settings. */
export function composeAnswer(options: ComposeOptions): ComposedAnswer {
  const random = seededRandom(options.seed);
  const pick = <T>(list: readonly T[]): T => {
    const k = Math.max(1, Math.min(options.topK, list.length));
    const span = options.temperature <= 0 ? 1 : Math.max(1, Math.ceil(k * Math.min(1, options.temperature)));
    // Rotate the list by the seed so temperature 0 still varies between conversations.
    const offset = options.seed % list.length;
    return list[(offset + Math.floor(random() * span)) % list.length] as T;
  };
  const topic = topicOf(options.messages);
  const target = options.minWords + Math.floor(random() * (options.maxWords - options.minWords + 1));
  const words: string[] = `This answer about ${topic} comes from the samosaChaat demo engine, not a language model.`.split(' ');
  let sentencesInParagraph = 1;
  while (words.length < target) {
    const sentence = pick(TEMPLATES).replace(/\{(C|A|N|V|topic)\}/g, (_, slot: string) => {
      if (slot === 'topic') return topic;
      if (slot === 'C') return pick(CONNECTIVES);
      if (slot === 'A') return pick(ADJECTIVES);
      if (slot === 'N') return pick(NOUNS);
      return pick(VERBS);
    });
    const sentenceWords = sentence.split(' ');
    sentenceWords[0] = (sentenceWords[0] as string).charAt(0).toUpperCase() + (sentenceWords[0] as string).slice(1);
    if (sentencesInParagraph >= 3 && random() < 0.5) {
      sentenceWords[0] = `\n\n${sentenceWords[0] as string}`;
      sentencesInParagraph = 0;
    }
    words.push(...sentenceWords);
    sentencesInParagraph++;
  }
  const tokens = words.map((w, i) => (i === 0 || w.startsWith('\n') ? w : ` ${w}`));
  if (tokens.length > options.maxTokens) return { tokens: tokens.slice(0, options.maxTokens), finishReason: 'length' };
  return { tokens, finishReason: 'stop' };
}
