/**
 * A stand-in OpenAI-compatible model server for the paused-client step of bench/streams.ts:
 * inference runs with ENGINE=openai against it, so answers can be long and fast (the demo
 * engine's are at most ~240 words). `POST /v1/chat/completions` streams `max_tokens` chunks of
 * STREAMS_UPSTREAM_TOKEN_CHARS characters as fast as the reader takes them (it waits for
 * 'drain', so a stalled reader stalls it); `GET /v1/models` lists `flood`.
 *
 * Listens on 127.0.0.1, port 0; reports `{ type: 'ready', port, workUs: 0 }` over IPC
 * (bench/lib/spawn.ts `startServer`); stops on SIGTERM.
 */
import { createServer, type ServerResponse } from 'node:http';
import { serveForParent } from './child-server.js';

const tokenChars = Number(process.env.STREAMS_UPSTREAM_TOKEN_CHARS ?? 256);
const MODEL = 'flood';

function frame(content: string | null, finish: string | null): string {
  const delta = content === null ? {} : { content };
  return `data: ${JSON.stringify({ id: 'bench', object: 'chat.completion.chunk', created: 0, model: MODEL, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

async function write(res: ServerResponse, chunk: string): Promise<boolean> {
  if (res.destroyed) return false;
  if (res.write(chunk)) return true;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
  return !res.destroyed;
}

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/v1/models') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data: [{ id: MODEL, object: 'model' }] }));
    return;
  }
  if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
    res.writeHead(404).end();
    return;
  }
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => (body += c));
  req.on('end', () => {
    const maxTokens = Math.max(1, Math.min(1_000_000, Number((JSON.parse(body) as { max_tokens?: number }).max_tokens ?? 16)));
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const token = ` ${'x'.repeat(Math.max(1, tokenChars - 1))}`;
    void (async () => {
      // Batches of frames per write: as fast as the reader takes them.
      const batch = 16;
      for (let i = 0; i < maxTokens; i += batch) {
        const n = Math.min(batch, maxTokens - i);
        if (!(await write(res, frame(token, null).repeat(n)))) return;
      }
      if (!(await write(res, frame(null, 'length')))) return;
      await write(res, `data: ${JSON.stringify({ id: 'bench', object: 'chat.completion.chunk', created: 0, model: MODEL, choices: [], usage: { prompt_tokens: 8, completion_tokens: maxTokens, total_tokens: maxTokens + 8 } })}\n\ndata: [DONE]\n\n`);
      res.end();
    })();
  });
});

serveForParent(server);
