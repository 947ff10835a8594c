/**
 * The floor of bench/streams.ts: the least any proxy process in front of inference can add.
 * A bare `node:http` server that forwards each request to STREAMS_PROXY_UPSTREAM with undici
 * (one keep-alive agent, as chat-api uses) and pipes the answer back unchanged, honouring
 * backpressure — no auth, no database, no parsing, no telemetry. What chat-api adds beyond
 * what this adds is chat-api's own work; what this adds is the price of one more process and
 * two more loopback hops on the machine.
 *
 * Listens on 127.0.0.1, port 0; reports `{ type: 'ready', port, workUs: 0 }` over IPC
 * (bench/lib/spawn.ts `startServer`); stops on SIGTERM.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Agent, request } from 'undici';
import { serveForParent } from './child-server.js';

const upstream = process.env.STREAMS_PROXY_UPSTREAM;
if (!upstream || !/^http:\/\/127\.0\.0\.1:\d+$/.test(upstream)) {
  console.error('streams-proxy: STREAMS_PROXY_UPSTREAM must be http://127.0.0.1:<port>');
  process.exit(2);
}
const agent = new Agent({ connect: { timeout: 5000 }, keepAliveTimeout: 10_000, headersTimeout: 120_000, bodyTimeout: 180_000 });
const FORWARDED = ['content-type', 'accept', 'x-internal-api-key', 'traceparent', 'x-trace-id'];

function forwardedHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of FORWARDED) {
    const value = headers[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    void (async () => {
      try {
        const answer = await request(`${upstream}${req.url ?? '/'}`, {
          dispatcher: agent,
          method: req.method as 'POST',
          headers: forwardedHeaders(req.headers),
          body: chunks.length ? Buffer.concat(chunks) : undefined,
        });
        const type = answer.headers['content-type'];
        res.writeHead(answer.statusCode, typeof type === 'string' ? { 'content-type': type } : {});
        await pipeline(answer.body, res);
      } catch {
        res.destroy();
      }
    })();
  });
});

serveForParent(server);
