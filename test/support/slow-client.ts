/**
 * Clients that misbehave on purpose, on a raw socket: one that announces a body and trickles
 * it, one that connects and says nothing. Each resolves when the server closes the
 * connection, with what the server wrote and how long the connection lived.
 */
import { connect } from 'node:net';

/** How a misbehaving connection ended. */
export interface ClosedConnection {
  /** Milliseconds from the first byte sent (or the connection, when nothing is sent) to the close. */
  elapsedMs: number;
  /** Everything the server wrote, as text. */
  received: string;
  /** The status code of the answer the server wrote, if any. */
  status: number | undefined;
}

function statusOf(text: string): number | undefined {
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(text);
  return match ? Number(match[1]) : undefined;
}

/**
 * Sends `head` (request line and headers, without the blank line) announcing a body of
 * `bodyBytes`, then one byte every `trickleMs`, never finishing; `giveUpMs` bounds the wait.
 */
export function slowBody(url: string, options: { head: string; bodyBytes: number; trickleMs: number; giveUpMs: number }): Promise<ClosedConnection> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    let started = 0;
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept a slow-body connection open for ${options.giveUpMs} ms`));
    }, options.giveUpMs);
    socket.on('connect', () => {
      started = performance.now();
      socket.write(`${options.head}\r\ncontent-length: ${options.bodyBytes}\r\n\r\n{`);
      timer = setInterval(() => {
        if (socket.writable) socket.write(' ');
      }, options.trickleMs);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      const received = Buffer.concat(chunks).toString('utf8');
      resolve({ elapsedMs: performance.now() - started, received, status: statusOf(received) });
    });
  });
}

/** Opens a connection and sends `bytes` (default nothing) and no more; resolves at the close. */
export function silentConnection(url: string, options: { giveUpMs: number; bytes?: string }): Promise<ClosedConnection> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    let started = 0;
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept a silent connection open for ${options.giveUpMs} ms`));
    }, options.giveUpMs);
    socket.on('connect', () => {
      started = performance.now();
      if (options.bytes) socket.write(options.bytes);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(giveUp);
      const received = Buffer.concat(chunks).toString('utf8');
      resolve({ elapsedMs: performance.now() - started, received, status: statusOf(received) });
    });
  });
}
