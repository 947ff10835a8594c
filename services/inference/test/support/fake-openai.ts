import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the fake upstream answers `POST /v1/chat/completions`. */
export type FakeBehaviour =
  | 'ok' // role chunk, content chunks, finish_reason, usage chunk, [DONE]
  | 'split' // the same bytes, one byte per write, CRLF line ends
  | 'no-usage' // no usage chunk: the caller must count chunks
  | 'drop' // two content chunks, then the socket is destroyed
  | 'status' // 500 with a JSON error body
  | 'malformed' // a chunk that is not JSON
  | 'no-done' // two content chunks, then a clean end without finish_reason or [DONE]
  | 'slow' // one content chunk every 50 ms, up to 200
  | 'rate-limited'; // 429 with `Retry-After: 20` and a JSON error body

/** A request the fake upstream received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown> | undefined;
}

/** A fake OpenAI-compatible server on an ephemeral loopback port. */
export interface FakeUpstream {
  /** Base URL, `http://127.0.0.1:<port>/v1`. */
  baseUrl: string;
  requests: RecordedRequest[];
  behaviour: FakeBehaviour;
  /** Tokens the `ok`-like behaviours stream. */
  tokens: string[];
  /** Completion requests whose client went away before the answer ended. */
  abandoned: number;
  /** When set, every request without `Authorization: Bearer <requiredKey>` gets a 401. */
  requiredKey?: string;
  close(): Promise<void>;
}

const MODELS = ['llama-test', 'qwen-test'];

function chunk(model: string, delta: Record<string, unknown>, finish: string | null = null): string {
  return JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta, finish_reason: finish }] });
}

function eventStream(fake: FakeUpstream, model: string, withUsage: boolean, eol = '\n'): string {
  const frames = [chunk(model, { role: 'assistant', content: '' }), ...fake.tokens.map((t) => chunk(model, { content: t })), chunk(model, {}, 'stop')];
  if (withUsage) frames.push(JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1, model, choices: [], usage: { prompt_tokens: 11, completion_tokens: fake.tokens.length, total_tokens: 11 + fake.tokens.length } }));
  frames.push('[DONE]');
  return frames.map((f) => `data: ${f}${eol}${eol}`).join('');
}

async function writeBytewise(res: ServerResponse, text: string): Promise<void> {
  for (const byte of Buffer.from(text)) {
    res.write(Buffer.from([byte]));
    await new Promise((r) => setImmediate(r));
  }
}

/** Starts the fake upstream. */
export async function startFakeOpenAi(): Promise<FakeUpstream> {
  const sockets = new Set<import('node:net').Socket>();
  const fake: FakeUpstream = { baseUrl: '', requests: [], behaviour: 'ok', tokens: ['Hello', ', wor', 'ld', ' — 🥟!'], abandoned: 0, close: async () => {} };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
      fake.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      if (fake.requiredKey !== undefined && req.headers.authorization !== `Bearer ${fake.requiredKey}`) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}');
        return;
      }
      if (req.method === 'GET' && req.url === '/v1/models') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: MODELS.map((id) => ({ id, object: 'model' })) }));
        return;
      }
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
        return;
      }
      void answer(String(body?.model), res);
    });
    res.on('close', () => {
      if (!res.writableEnded && req.url === '/v1/chat/completions') fake.abandoned++;
    });
  });

  async function answer(model: string, res: ServerResponse): Promise<void> {
    const sse = () => res.writeHead(200, { 'content-type': 'text/event-stream' });
    switch (fake.behaviour) {
      case 'ok':
        sse().end(eventStream(fake, model, true));
        return;
      case 'no-usage':
        sse().end(eventStream(fake, model, false));
        return;
      case 'split':
        sse();
        await writeBytewise(res, eventStream(fake, model, true, '\r\n'));
        res.end();
        return;
      case 'drop':
        sse();
        res.write(`data: ${chunk(model, { content: 'Hel' })}\n\ndata: ${chunk(model, { content: 'lo' })}\n\n`);
        setTimeout(() => res.socket?.destroy(), 30);
        return;
      case 'rate-limited':
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '20' }).end(JSON.stringify({ error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } }));
        return;
      case 'status':
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'model overloaded, try again', type: 'server_error' } }));
        return;
      case 'malformed':
        sse().end(`data: ${chunk(model, { content: 'ok' })}\n\ndata: {"choices":[{"delta":\n\n`);
        return;
      case 'no-done':
        sse().end(`data: ${chunk(model, { content: 'Hel' })}\n\ndata: ${chunk(model, { content: 'lo' })}\n\n`);
        return;
      case 'slow':
        sse();
        for (let i = 0; i < 200 && !res.destroyed; i++) {
          res.write(`data: ${chunk(model, { content: ` t${i}` })}\n\n`);
          await new Promise((r) => setTimeout(r, 50));
        }
        if (!res.destroyed) res.end(`data: ${chunk(model, {}, 'length')}\n\ndata: [DONE]\n\n`);
        return;
    }
  }

  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return fake;
}

/** A loopback URL where nothing listens (a port bound, then released). */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/v1`;
}
