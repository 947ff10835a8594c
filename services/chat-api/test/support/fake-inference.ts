import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** How the fake answers the next POST /generate calls (until changed). */
export interface GenerateScript {
  /** Tokens to stream. Default `["Hello", ",", " world", "!"]`. */
  tokens?: string[];
  /** Pause before each token. */
  delayMs?: number;
  /** Answer this status with a JSON error instead of a stream. */
  status?: number;
  retryAfter?: string;
  /** Raw body of a `status` answer instead of the JSON envelope. */
  errorBody?: string;
  /** Answer 200 with this content type and a JSON body instead of a stream. */
  wrongContentType?: string;
  /** After this many tokens: an `error` event (`errorMessage`), then `done`. */
  errorAfter?: number;
  errorMessage?: string;
  /** The `code` (and `retry_after` seconds) of that error event, as inference codes them. */
  errorCode?: string;
  errorRetryAfter?: number;
  /** After this many tokens: an `error` event, then the connection is cut (no `done`). */
  errorThenDropAfter?: number;
  /** After this many tokens: the connection is cut (no `done`). */
  dropAfter?: number;
  /** After this many tokens: stop sending and keep the connection open. */
  hangAfter?: number;
  /** Extra fields on the `done` event (usage, model). */
  doneExtra?: Record<string, unknown>;
  /** Line ending of the events. */
  lineEnding?: '\n' | '\r\n';
  /** Write each event in pieces of this many bytes (reassembly). */
  fragmentBytes?: number;
  /** Stream `totalBytes` of tokens of `tokenBytes` each, as fast as the reader takes them. */
  bulk?: { totalBytes: number; tokenBytes: number };
}

/** One /generate call as the fake saw it. */
export interface GenerateCall {
  body: { messages: Array<{ role: string; content: string }>; model?: string; temperature?: number; max_tokens?: number };
  keyOk: boolean;
  traceparent: string | undefined;
  /** Every byte the fake wrote (empty for bulk answers). */
  sent: string;
}

/** Control surface shared by the in-process fake and the one in a child process. */
export interface InferenceControl {
  url: string;
  script(script: GenerateScript): Promise<void>;
  calls(): Promise<GenerateCall[]>;
  /** Bytes the fake has handed to its sockets for the current bulk answer. */
  bulkBytesSent(): Promise<number>;
  stop(): Promise<void>;
}

function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Lets what was written reach the peer, then resets the connection (a crash mid-answer). */
async function flushThenCut(res: ServerResponse): Promise<void> {
  await new Promise<void>((resolve) => res.write('', () => resolve()));
  await sleep(30);
  res.destroy();
}

const DEFAULT_TOKENS = ['Hello', ',', ' world', '!'];

/**
 * A stand-in for inference on 127.0.0.1:0: `/generate` streams what the current script
 * says, `/models` and `/models/swap` answer like the real one, and `/__control`,
 * `/__calls`, `/__bulk` let a test (in this process or another) drive and inspect it.
 */
export class FakeInference {
  current: GenerateScript = {};
  readonly received: GenerateCall[] = [];
  readonly swaps: Array<{ model: string; keyOk: boolean }> = [];
  bulkSent = 0;
  url = '';
  private readonly server: Server;
  private readonly open = new Set<ServerResponse>();

  constructor(private readonly internalApiKey: string) {
    this.server = createServer((req, res) => void this.route(req, res));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await new Promise<string>((resolve) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => resolve(text));
    });
    const keyOk = req.headers['x-internal-api-key'] === this.internalApiKey;
    const json = (status: number, payload: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    switch (`${req.method} ${req.url}`) {
      case 'GET /health':
        return json(200, { status: 'ok', ready: true, current_model: 'demo' });
      case 'GET /models':
        return json(200, { models: [{ id: 'demo', engine: 'demo', loaded: true }, { id: 'tiny', engine: 'demo', loaded: false }], current_model: 'demo' });
      case 'POST /models/swap': {
        const model = String((JSON.parse(body) as { model?: unknown }).model);
        this.swaps.push({ model, keyOk });
        if (!keyOk) return json(401, { error: { code: 'UNAUTHORIZED', message: 'missing or wrong X-Internal-API-Key' } });
        if (model === 'missing') return json(404, { error: { code: 'INFERENCE_MODEL_NOT_FOUND', message: 'no model "missing"' } });
        return json(202, { current_model: model, previous_model: 'demo' });
      }
      case 'POST /__control':
        this.current = JSON.parse(body) as GenerateScript;
        this.bulkSent = 0;
        return json(200, { ok: true });
      case 'GET /__calls':
        return json(200, this.received);
      case 'GET /__bulk':
        return json(200, { sent: this.bulkSent });
      case 'POST /generate':
        return this.generate(JSON.parse(body) as GenerateCall['body'], keyOk, req, res);
      default:
        return json(404, { error: { code: 'NOT_FOUND', message: 'no route' } });
    }
  }

  private async generate(body: GenerateCall['body'], keyOk: boolean, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const s = this.current;
    const call: GenerateCall = { body, keyOk, traceparent: req.headers.traceparent as string | undefined, sent: '' };
    this.received.push(call);
    if (!keyOk) return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"code":"UNAUTHORIZED","message":"bad key"}}');
    if (s.status !== undefined) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (s.retryAfter) headers['retry-after'] = s.retryAfter;
      return void res.writeHead(s.status, headers).end(s.errorBody ?? JSON.stringify({ error: { code: 'INFERENCE_FAKE_FAILURE', message: `fake failure ${s.status}` } }));
    }
    if (s.wrongContentType) return void res.writeHead(200, { 'content-type': s.wrongContentType }).end('{"ok":true}');
    this.open.add(res);
    res.on('close', () => this.open.delete(res));
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const eol = s.lineEnding ?? '\n';
    const send = async (payload: Record<string, unknown>) => {
      const event = `data: ${JSON.stringify(payload)}${eol}${eol}`;
      if (!s.bulk) call.sent += event;
      const step = s.fragmentBytes ?? event.length;
      const bytes = Buffer.from(event);
      for (let i = 0; i < bytes.length; i += step) {
        if (res.destroyed) return;
        const ok = res.write(bytes.subarray(i, i + step));
        if (s.bulk) this.bulkSent += Math.min(step, bytes.length - i);
        if (!ok) await drainOrClose(res);
        if (s.fragmentBytes) await sleep(1);
      }
    };
    if (s.bulk) {
      const token = 'x'.repeat(s.bulk.tokenBytes);
      for (let sent = 0; sent < s.bulk.totalBytes && !res.destroyed; sent += s.bulk.tokenBytes) await send({ token });
      await send({ done: true });
      return void res.end();
    }
    const tokens = s.tokens ?? DEFAULT_TOKENS;
    for (let i = 0; i <= tokens.length; i++) {
      if (s.errorAfter === i) {
        const event: Record<string, unknown> = { error: s.errorMessage ?? 'engine exploded' };
        if (s.errorCode !== undefined) event.code = s.errorCode;
        if (s.errorRetryAfter !== undefined) event.retry_after = s.errorRetryAfter;
        await send(event);
        await send({ done: true });
        return void res.end();
      }
      if (s.errorThenDropAfter === i) {
        await send({ error: s.errorMessage ?? 'engine exploded' });
        return void (await flushThenCut(res));
      }
      if (s.dropAfter === i) return void (await flushThenCut(res));
      if (s.hangAfter === i) return;
      if (i === tokens.length) break;
      if (s.delayMs) await sleep(s.delayMs);
      if (res.destroyed) return;
      await send({ token: tokens[i] });
    }
    await send({ done: true, ...s.doneExtra });
    res.end();
  }

  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The in-process control surface. */
  control(): InferenceControl {
    return {
      url: this.url,
      script: async (script) => {
        this.current = script;
        this.bulkSent = 0;
      },
      calls: async () => this.received,
      bulkBytesSent: async () => this.bulkSent,
      stop: () => this.stop(),
    };
  }
}
