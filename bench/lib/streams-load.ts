/**
 * The load generator of bench/streams.ts, in its own process (never in a server's): undici
 * streams against chat-api or straight against inference on 127.0.0.1, driven over IPC.
 *
 * Commands (`{ type, payload }` → `{ type: '<type>:done', value | error }`):
 * - `setup`: development logins and one conversation per worker;
 * - `latency`: N concurrent streams in a closed loop (each worker starts its next stream when
 *   the previous one ends), worker starts spread over a ramp; time to first token and the gaps
 *   between tokens of the streams started in the measured window, as exact p50/p99;
 * - `hold:open` / `hold:release`: open N streams and keep them open (reading, or paused: the
 *   body is never read) until released, then destroy them.
 */
import { Agent, request, type Dispatcher } from 'undici';
import { procCpuUs } from './streams-cpu.js';
import { percentile, SampleBuffer } from './stats.js';

/** chat-api, straight to inference, or through the minimal proxy (bench/lib/streams-proxy.ts). */
export type StreamPath = 'chat' | 'direct' | 'proxy';

export interface Target {
  chatUrl: string;
  authUrl: string;
  inferenceUrl: string;
  /** The minimal proxy in front of inference, when one runs. */
  proxyUrl?: string;
  internalKey: string;
}

export interface SetupCommand extends Target {
  users: number;
  conversations: number;
}
export interface Session {
  tokens: string[];
  /** Conversation i belongs to user `i % tokens.length`. */
  conversations: string[];
}

export interface LatencyCommand extends Target, Session {
  path: StreamPath;
  concurrency: number;
  rampMs: number;
  /**
   * Unmeasured time between the ramp and the window: every stream runs but none is sampled,
   * so the window sees the steady state, not the connections the ramp had to open.
   */
  settleMs?: number;
  /**
   * The window opens only once every worker has finished its first stream (so every
   * connection of the path is open and has carried an answer), and no earlier than ramp +
   * settle; at the latest this long after that, whatever the workers' state.
   */
  maxSettleMs?: number;
  windowMs: number;
  maxTokens: number;
  /**
   * Processes whose CPU time (user + system, `/proc/<pid>/stat`) is read at the window's
   * opening and closing (the load generator's own from `process.cpuUsage()`); with it, the
   * child also sends `{ type: 'latency:window', phase: 'open' | 'close' }` at those moments,
   * so the parent can start and stop its heap probes (bench/lib/streams-cpu.ts).
   */
  cpuPids?: Record<string, number>;
}

/** CPU time and work done inside one latency window (see LatencyCommand.cpuPids). */
export interface WindowCpu {
  /** Actual window length, ms (from the readings at opening and closing). */
  windowMs: number;
  /** CPU time (user + system) per named process over the window, µs; `load` is the load generator. */
  cpuUs: Record<string, number>;
  /** Token events received by the load generator inside the window (by arrival time). */
  tokens: number;
  /** Streams sent inside the window. */
  sends: number;
}

export interface Percentiles {
  n: number;
  p50: number;
  p99: number;
}

export interface LatencyResult {
  path: StreamPath;
  concurrency: number;
  /** Streams started in the window and ended with `done`. */
  streams: number;
  /** Streams that failed (non-200, error event, transport error), whole run. */
  failures: number;
  firstFailure?: string;
  /** Milliseconds. */
  ttft: Percentiles;
  gap: Percentiles;
  /** Tokens per stream (median), to show the answers were as long as asked. */
  tokensPerStream: number;
  wallMs: number;
  /** From the end of the ramp to the window's start. */
  settledMs: number;
  /** False when the window opened at maxSettleMs with workers still on their first stream. */
  allWorkersSettled: boolean;
  /** With LatencyCommand.cpuPids: what the window cost and carried. */
  cpu?: WindowCpu;
}

export interface HoldCommand extends Target, Session {
  path: StreamPath;
  count: number;
  rampMs: number;
  maxTokens: number;
  /** Never read the body (a client that stopped reading). */
  paused: boolean;
  /** Resolve once every stream has seen its first token (else once it got its headers). */
  waitFirstToken: boolean;
}
export interface HoldResult {
  opened: number;
  failures: number;
  firstFailure?: string;
  openMs: number;
}

const PROMPT = 'Tell me about samosas and chutney';

function cpuSnapshot(pids: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) out[name] = procCpuUs(pid);
  const own = process.cpuUsage();
  out.load = own.user + own.system;
  return out;
}

interface Turn {
  role: 'user' | 'assistant';
  content: string;
}

/**
 * The direct and proxy paths send inference what chat-api would send for the same stream:
 * each worker slot keeps its own conversation (the prompt and every completed answer), and
 * the request carries its newest messages the way chat-api picks them (`HISTORY_WINDOW`
 * messages, the new one included; the token budget never binds at these answer lengths). So
 * inference does the same work on all three paths, and "chat-api − direct" is chat-api's.
 */
const HISTORY_WINDOW = 50;
const mirrored = new Map<number, Turn[]>();

function mirroredPrompt(slot: number): Turn[] {
  const earlier = mirrored.get(slot) ?? [];
  return [...earlier.slice(-(HISTORY_WINDOW - 1)), { role: 'user', content: PROMPT }];
}

function rememberExchange(slot: number, answer: string): void {
  const turns = mirrored.get(slot) ?? [];
  turns.push({ role: 'user', content: PROMPT }, { role: 'assistant', content: answer });
  // Only the window is ever sent: keep no more than that.
  mirrored.set(slot, turns.slice(-HISTORY_WINDOW));
}
const agent = new Agent({ keepAliveTimeout: 10_000, connections: null, pipelining: 1, headersTimeout: 120_000, bodyTimeout: 180_000 });

function streamRequest(t: Target & Session, path: StreamPath, i: number, maxTokens: number, signal?: AbortSignal): Promise<Dispatcher.ResponseData> {
  if (path !== 'chat') {
    const base = path === 'proxy' ? t.proxyUrl : t.inferenceUrl;
    if (!base) throw new Error('no proxy is running for the proxy path');
    return request(`${base}/generate`, {
      dispatcher: agent,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-internal-api-key': t.internalKey },
      body: JSON.stringify({ messages: mirroredPrompt(i % t.conversations.length), max_tokens: maxTokens }),
      signal,
    });
  }
  const conversation = t.conversations[i % t.conversations.length] as string;
  const token = t.tokens[(i % t.conversations.length) % t.tokens.length] as string;
  return request(`${t.chatUrl}/api/conversations/${conversation}/messages`, {
    dispatcher: agent,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ content: PROMPT, max_tokens: maxTokens }),
    signal,
  });
}

function countOf(haystack: string, needle: string): number {
  let n = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) n++;
  return n;
}

const TOKEN_EVENT = /^data: (\{"token".*\})$/gm;

/**
 * Reads one SSE answer; `onTokens(k, at)` for every network chunk that completes k token
 * events. Resolves with the outcome and the answer's text (on every path, so the load
 * generator does the same work whichever path it measures) once the body ends.
 */
async function readAnswer(body: Dispatcher.ResponseData['body'], onTokens: (k: number, at: number) => void): Promise<{ done: boolean; error?: string; text: string }> {
  let carry = '';
  let done = false;
  let error: string | undefined;
  let answer = '';
  for await (const chunk of body) {
    const at = performance.now();
    const text = carry + (chunk as Buffer).toString('utf8');
    const end = text.lastIndexOf('\n\n');
    if (end === -1) {
      carry = text;
      continue;
    }
    const events = text.slice(0, end + 2);
    carry = text.slice(end + 2);
    const k = countOf(events, 'data: {"token"');
    if (k > 0) onTokens(k, at);
    for (const m of events.matchAll(TOKEN_EVENT)) answer += (JSON.parse(m[1] as string) as { token: string }).token;
    if (error === undefined && events.includes('data: {"error"')) error = events.slice(events.indexOf('data: {"error"'), events.indexOf('data: {"error"') + 200).split('\n')[0];
    // chat-api's done names the stored answer: {"done":true,"message_id":…}.
    if (events.includes('data: {"done":true')) done = true;
  }
  return { done, error, text: answer };
}

async function setup(c: SetupCommand): Promise<Session> {
  const tokens: string[] = [];
  for (let u = 0; u < c.users; u++) {
    const res = await fetch(`${c.authUrl}/auth/dev-login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `bench-streams-${u}@samosachaat.local`, name: `Bench ${u}` }),
    });
    if (!res.ok) throw new Error(`dev-login ${u}: ${res.status} ${(await res.text()).slice(0, 200)}`);
    tokens.push(((await res.json()) as { access_token: string }).access_token);
  }
  const conversations: string[] = new Array<string>(c.conversations);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < c.conversations) {
      const i = next++;
      const res = await request(`${c.chatUrl}/api/conversations`, {
        dispatcher: agent,
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[i % tokens.length]}` },
        body: JSON.stringify({ title: `bench ${i}` }),
      });
      const text = await res.body.text();
      if (res.statusCode !== 201) throw new Error(`create conversation: ${res.statusCode} ${text.slice(0, 200)}`);
      conversations[i] = (JSON.parse(text) as { id: string }).id;
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return { tokens, conversations };
}

async function latency(c: LatencyCommand): Promise<LatencyResult> {
  const ttft = new SampleBuffer(1 << 14);
  const gap = new SampleBuffer(1 << 18);
  const tokensPerStream: number[] = [];
  let streams = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  const t0 = performance.now();
  const earliest = t0 + c.rampMs + (c.settleMs ?? 0);
  let windowStart = Number.POSITIVE_INFINITY;
  let windowEnd = Number.POSITIVE_INFINITY;
  let firstStreamsDone = 0;
  let tokensInWindow = 0;
  let sendsInWindow = 0;
  let cpuOpen: { at: number; cpu: Record<string, number> } | undefined;
  let cpu: WindowCpu | undefined;
  let closeTimer: NodeJS.Timeout | undefined;
  // Set when the closing reading is taken (a busy loop may fire its timer late: the tokens counted match the CPU read).
  let windowClosed = false;
  const openWindow = (): void => {
    if (windowStart !== Number.POSITIVE_INFINITY) return;
    windowStart = Math.max(performance.now(), earliest);
    windowEnd = windowStart + c.windowMs;
    if (c.cpuPids) {
      const pids = c.cpuPids;
      cpuOpen = { at: performance.now(), cpu: cpuSnapshot(pids) };
      process.send?.({ type: 'latency:window', phase: 'open' });
      closeTimer = setTimeout(() => {
        const at = performance.now();
        const end = cpuSnapshot(pids);
        windowClosed = true;
        process.send?.({ type: 'latency:window', phase: 'close' });
        const open = cpuOpen as { at: number; cpu: Record<string, number> };
        const cpuUs: Record<string, number> = {};
        for (const name of Object.keys(end)) cpuUs[name] = (end[name] as number) - (open.cpu[name] as number);
        cpu = { windowMs: at - open.at, cpuUs, tokens: tokensInWindow, sends: sendsInWindow };
      }, windowEnd - performance.now());
    }
  };
  const atEarliest = setTimeout(() => {
    if (firstStreamsDone === c.concurrency) openWindow();
  }, earliest - t0);
  let allWorkersSettled = true;
  const atLatest = setTimeout(() => {
    if (firstStreamsDone < c.concurrency) allWorkersSettled = false;
    openWindow();
  }, earliest - t0 + (c.maxSettleMs ?? 60_000));
  const fail = (why: string): void => {
    failures++;
    firstFailure ??= why;
  };

  /** One stream; its samples when it was sent inside the window and ended with `done`. */
  const stream = async (i: number, measured: boolean): Promise<void> => {
    const sentAt = performance.now();
    if (sentAt >= windowStart && sentAt < windowEnd) sendsInWindow++;
    let first = -1;
    let last = 0;
    let tokens = 0;
    const localGaps: number[] = [];
    try {
      const res = await streamRequest(c, c.path, i, c.maxTokens);
      if (res.statusCode !== 200) {
        fail(`${res.statusCode} ${(await res.body.text()).slice(0, 200)}`);
        await new Promise((r) => setTimeout(r, 100));
        return;
      }
      const outcome = await readAnswer(res.body, (k, at) => {
        if (first < 0) {
          first = at - sentAt;
        } else {
          localGaps.push(at - last);
        }
        for (let j = 1; j < k; j++) localGaps.push(0);
        last = at;
        tokens += k;
        if (at >= windowStart && !windowClosed) tokensInWindow += k;
      });
      if (outcome.error || !outcome.done || first < 0) {
        fail(outcome.error ?? (outcome.done ? 'no token' : 'stream ended without done'));
        return;
      }
      // chat-api keeps its own conversation; the other paths keep theirs here.
      if (c.path !== 'chat') rememberExchange(i % c.conversations.length, outcome.text);
    } catch (err) {
      fail((err as Error).message);
      await new Promise((r) => setTimeout(r, 100));
      return;
    }
    if (!measured) return;
    streams++;
    ttft.push(first);
    for (const g of localGaps) gap.push(g);
    tokensPerStream.push(tokens);
  };

  const worker = async (i: number): Promise<void> => {
    await new Promise((r) => setTimeout(r, (i * c.rampMs) / c.concurrency));
    await stream(i, false);
    if (++firstStreamsDone === c.concurrency && performance.now() >= earliest) openWindow();
    while (performance.now() < windowEnd) await stream(i, performance.now() >= windowStart);
  };
  await Promise.all(Array.from({ length: c.concurrency }, (_, i) => worker(i)));
  clearTimeout(atEarliest);
  clearTimeout(atLatest);
  // The last streams end after the window closed, so its reading is taken by now.
  if (closeTimer && !cpu) await new Promise((r) => setTimeout(r, Math.max(0, windowEnd - performance.now()) + 10));
  const pct = (b: SampleBuffer): Percentiles => (b.length ? { n: b.length, p50: percentile(b.values(), 50), p99: percentile(b.values(), 99) } : { n: 0, p50: Number.NaN, p99: Number.NaN });
  return {
    path: c.path,
    concurrency: c.concurrency,
    streams,
    failures,
    firstFailure,
    ttft: pct(ttft),
    gap: pct(gap),
    tokensPerStream: tokensPerStream.length ? percentile(tokensPerStream, 50) : 0,
    wallMs: performance.now() - t0,
    settledMs: windowStart - t0 - c.rampMs,
    allWorkersSettled,
    cpu,
  };
}

/** Streams held open by `hold:open`, destroyed by `hold:release`. */
const held: Array<{ controller: AbortController; body?: Dispatcher.ResponseData['body'] }> = [];

async function holdOpen(c: HoldCommand): Promise<HoldResult> {
  const t0 = performance.now();
  let failures = 0;
  let firstFailure: string | undefined;
  const open = async (i: number): Promise<boolean> => {
    await new Promise((r) => setTimeout(r, (i * c.rampMs) / c.count));
    const controller = new AbortController();
    const slot: (typeof held)[number] = { controller };
    held.push(slot);
    try {
      const res = await streamRequest(c, c.path, i, c.maxTokens, controller.signal);
      slot.body = res.body;
      if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${(await res.body.text()).slice(0, 200)}`);
      if (c.paused) return true; // never read: undici stops reading the socket once its buffer is full
      let resolveFirst: (() => void) | undefined;
      const firstToken = new Promise<void>((r) => (resolveFirst = r));
      const reading = readAnswer(res.body, () => resolveFirst?.()).catch(() => ({ done: false }));
      if (!c.waitFirstToken) return true;
      const result = await Promise.race([firstToken.then(() => 'token' as const), reading.then(() => 'ended' as const)]);
      if (result === 'ended') throw new Error('stream ended before its first token');
      return true;
    } catch (err) {
      if (!controller.signal.aborted) {
        failures++;
        firstFailure ??= (err as Error).message;
      }
      return false;
    }
  };
  const results = await Promise.all(Array.from({ length: c.count }, (_, i) => open(i)));
  return { opened: results.filter(Boolean).length, failures, firstFailure, openMs: performance.now() - t0 };
}

function holdRelease(): number {
  const n = held.length;
  for (const h of held.splice(0)) {
    h.controller.abort();
    h.body?.destroy();
  }
  return n;
}

const handlers: Record<string, (payload: never) => Promise<unknown> | unknown> = {
  setup: (p: SetupCommand) => setup(p),
  latency: (p: LatencyCommand) => latency(p),
  'hold:open': (p: HoldCommand) => holdOpen(p),
  'hold:release': () => holdRelease(),
};

if (!process.send) throw new Error('streams-load.ts runs as a child of bench/streams.ts (IPC)');
process.on('message', (raw: unknown) => {
  const msg = raw as { type: string; payload: never };
  const handler = handlers[msg.type];
  const reply = (body: { value?: unknown; error?: string }): void => void process.send?.({ type: `${msg.type}:done`, ...body });
  if (!handler) return reply({ error: `unknown command ${msg.type}` });
  Promise.resolve()
    .then(() => handler(msg.payload))
    .then(
      (value) => reply({ value }),
      (err: unknown) => reply({ error: err instanceof Error ? err.message : String(err) }),
    );
});
process.once('SIGTERM', () => {
  holdRelease();
  void agent.destroy().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
process.once('disconnect', () => process.exit(0));
