import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler, type PGLiteSocketHandlerOptions } from '@electric-sql/pglite-socket';
import { openPglite } from './pglite-driver.js';

/** Options of {@link startEmbeddedServer}. */
export interface EmbeddedServerOptions {
  /** The data folder (PGlite lives in `<dataDir>/pglite`, as with openDatabase); 'memory://' for tests. */
  dataDir: string;
  /** Default 127.0.0.1. The server has no authentication: keep it on loopback. */
  host?: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Concurrent client connections; more are refused. Default 100. */
  maxConnections?: number;
}

/** A running embedded server. */
export interface EmbeddedServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`, for DATABASE_URL. */
  url: string;
  port: number;
  /** Disconnects every client (rolling back open transactions), stops listening, closes PGlite. */
  close(): Promise<void>;
}

const SYNC = new Uint8Array([0x53, 0, 0, 0, 4]);
const PARSE_COMPLETE = new Uint8Array([0x31, 0, 0, 0, 4]);
const ROLLBACK = (() => {
  const text = Buffer.from('ROLLBACK\0', 'utf8');
  const msg = Buffer.alloc(5 + text.length);
  msg.write('Q', 0, 'latin1');
  msg.writeInt32BE(4 + text.length, 1);
  text.copy(msg, 5);
  return new Uint8Array(msg);
})();

interface Item {
  handlerId: number;
  /** A protocol message, or a reset after the client left. */
  message: Uint8Array | 'reset';
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (err: Error) => void;
}

/** Whether a message ends a unit of work: a simple Query, a Sync, a Terminate, or the startup packet. */
function endsUnit(message: Uint8Array): boolean {
  const type = message[0];
  return type === 0x51 /* Q */ || type === 0x53 /* S */ || type === 0x58 /* X */ || type === 0 /* startup: no type byte */;
}

/** The name a Parse message prepares ('' for the unnamed statement). */
function parseName(message: Uint8Array): string {
  const end = message.indexOf(0, 5);
  return end === -1 ? '' : Buffer.from(message.buffer, message.byteOffset + 5, end - 5).toString('utf8');
}

/** The statement a Close message closes (undefined when it closes a portal). */
function closedStatement(message: Uint8Array): string | undefined {
  if (message[5] !== 0x53 /* S */) return undefined;
  const end = message.indexOf(0, 6);
  return end === -1 ? undefined : Buffer.from(message.buffer, message.byteOffset + 6, end - 6).toString('utf8');
}

/** A simple Query that may drop prepared statements (DEALLOCATE, DISCARD). */
function dropsStatements(message: Uint8Array): boolean {
  return /\b(deallocate|discard)\b/i.test(Buffer.from(message.buffer, message.byteOffset + 5, Math.max(0, message.length - 5)).toString('utf8'));
}

/**
 * Multiplexes client connections onto PGlite's single backend. pglite-socket's own queue
 * interleaves clients message by message, so another client's Parse can land between one
 * client's Parse and Bind (its portal then vanishes) — fine for one pg client, wrong for
 * pools. Here a client owns the backend from its first message to the end of its unit of work
 * (Sync or simple Query) and, inside BEGIN … COMMIT, until the transaction ends; other
 * clients' messages wait their turn.
 *
 * The clients share the backend's prepared statements too. Our PostgreSQL driver names a
 * statement after a hash of its text (statement-names.ts), so the same name means the same
 * statement whichever client prepared it: a Parse, first message of its unit, that prepares a
 * name already prepared with the very same message is answered ParseComplete here without
 * reaching PGlite (PostgreSQL would refuse it as a duplicate, since the other client's
 * statement is this backend's). Any other Parse goes through, so a name reused for another
 * text fails as it would on one connection.
 */
export class SessionQueue {
  private owner: number | null = null;
  private items: Item[] = [];
  private pumping = false;
  /** Named statements the backend holds: the Parse message that prepared each. */
  private readonly prepared = new Map<string, Buffer>();
  /** The next message starts a unit of work (nothing of the owner's unit can have failed yet). */
  private unitStart = true;

  constructor(private readonly db: PGlite) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.items.push({ handlerId, message, onData, resolve, reject });
      void this.pump();
    });
  }

  getQueueLength(): number {
    return this.items.length;
  }

  /** The client left: drop its queued messages. */
  clearQueueForHandler(handlerId: number): void {
    this.items = this.items.filter((item) => {
      if (item.handlerId !== handlerId || item.message === 'reset') return true;
      item.reject(new Error('Handler disconnected'));
      return false;
    });
  }

  /** The client left: if it owned the backend, end its unit of work and transaction, and free it. */
  clearTransactionIfNeeded(handlerId: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.items.push({ handlerId, message: 'reset', onData: () => {}, resolve: () => resolve(), reject });
      void this.pump();
    });
  }

  private next(): Item | undefined {
    if (this.items.length === 0) return undefined;
    const i = this.owner === null ? 0 : this.items.findIndex((item) => item.handlerId === this.owner);
    return i === -1 ? undefined : this.items.splice(i, 1)[0];
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let item = this.next(); item; item = this.next()) {
        try {
          if (item.message === 'reset') {
            if (this.owner === item.handlerId) {
              await this.db.runExclusive(async () => {
                await this.db.execProtocolRawStream(SYNC, { onRawData: () => {} });
                if (this.db.isInTransaction()) await this.db.execProtocolRawStream(ROLLBACK, { onRawData: () => {} });
              });
              this.owner = null;
            }
            item.resolve(0);
            continue;
          }
          const message = item.message;
          const onData = item.onData;
          if (this.owner !== item.handlerId) this.unitStart = true;
          this.owner = item.handlerId;
          const type = message[0];
          const name = type === 0x50 /* P */ ? parseName(message) : '';
          if (name !== '' && this.unitStart && this.prepared.get(name)?.equals(message)) {
            // Prepared already, by this client or another one: the backend has it.
            this.unitStart = false;
            onData(PARSE_COMPLETE);
            item.resolve(PARSE_COMPLETE.length);
            continue;
          }
          let bytes = 0;
          let first: number | undefined;
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(message, {
              onRawData: (data) => {
                first ??= data[0];
                bytes += data.length;
                onData(data);
              },
            }),
          );
          if (name !== '' && first === PARSE_COMPLETE[0]) this.prepared.set(name, Buffer.from(message));
          else if (type === 0x43 /* C */) {
            const closed = closedStatement(message);
            if (closed !== undefined) this.prepared.delete(closed);
          } else if (type === 0x51 /* Q */ && dropsStatements(message)) this.prepared.clear();
          this.unitStart = endsUnit(message);
          if (this.unitStart && !this.db.isInTransaction()) this.owner = null;
          item.resolve(bytes);
        } catch (err) {
          // PGlite itself failed (not a SQL error, which is an answer): free the backend.
          this.owner = null;
          item.reject(err as Error);
        }
      }
    } finally {
      this.pumping = false;
    }
  }
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Serves a PGlite data folder over the PostgreSQL wire protocol on host:port (port 0 = ephemeral) with @electric-sql/pglite-socket (use its multi-connection support if that version has it; verify with a test that two pg Pools in different processes can query concurrently), so several service processes share the embedded database. Returns the postgres:// URL to give them as DATABASE_URL. */
export async function startEmbeddedServer(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const host = options.host ?? '127.0.0.1';
  const maxConnections = options.maxConnections ?? 100;
  const { pglite, lock } = await openPglite(options.dataDir);
  const queue = new SessionQueue(pglite);
  const handlers = new Set<PGLiteSocketHandler>();
  const sockets = new Set<Socket>();
  let closing: Promise<void> | undefined;

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (closing || handlers.size >= maxConnections) {
      // An ErrorResponse before startup is what PostgreSQL sends (53300 too_many_connections).
      socket.end(errorResponse(closing ? '57P01' : '53300', closing ? 'the embedded database is shutting down' : 'sorry, too many clients already'));
      return;
    }
    const handler = new PGLiteSocketHandler({ queryQueue: queue as unknown as PGLiteSocketHandlerOptions['queryQueue'], closeOnDetach: true });
    handlers.add(handler);
    const forget = (): void => {
      handlers.delete(handler);
    };
    handler.addEventListener('close', forget);
    handler.addEventListener('error', forget);
    handler.attach(socket).catch(() => {
      forget();
      socket.destroy();
    });
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await pglite.close().catch(() => undefined);
    lock?.release();
    throw err;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);

  return {
    url: `postgres://postgres@${formatHost(host)}:${port}/postgres`,
    port,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await Promise.all([...handlers].map((handler) => handler.detach(true).catch(() => undefined)));
        handlers.clear();
        for (const socket of sockets) socket.destroy();
        await stopped;
        try {
          await pglite.close();
        } finally {
          lock?.release();
        }
      })();
      return closing;
    },
  };
}

/** A PostgreSQL ErrorResponse message (severity FATAL). */
function errorResponse(code: string, message: string): Buffer {
  const fields = Buffer.concat([
    Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, 'utf8'),
  ]);
  const out = Buffer.alloc(5 + fields.length);
  out.write('E', 0, 'latin1');
  out.writeInt32BE(4 + fields.length, 1);
  fields.copy(out, 5);
  return out;
}
