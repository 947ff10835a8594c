import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { DatabaseInUseError, DatabaseUnavailableError, openDatabase, startEmbeddedServer } from '../src/index.js';
import { runWorkload, type WorkloadResult } from './fixtures/workload.js';
import { tempDir } from './support.js';

/** Just enough of the frontend protocol to send messages one at a time (pg always sends them together). */
const serialize = {
  message(type: string, body: Buffer): Buffer {
    const head = Buffer.alloc(5);
    head.write(type, 0, 'latin1');
    head.writeInt32BE(body.length + 4, 1);
    return Buffer.concat([head, body]);
  },
  cstr: (text: string): Buffer => Buffer.from(`${text}\0`, 'utf8'),
  int16(n: number): Buffer {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    return b;
  },
  int32(n: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  },
  startup(params: Record<string, string>): Buffer {
    const body = Buffer.concat([serialize.int32(196608), ...Object.entries(params).flatMap(([k, v]) => [serialize.cstr(k), serialize.cstr(v)]), Buffer.from([0])]);
    return Buffer.concat([serialize.int32(body.length + 4), body]);
  },
  query: (text: string): Buffer => serialize.message('Q', serialize.cstr(text)),
  parse: ({ text }: { text: string }): Buffer => serialize.message('P', Buffer.concat([serialize.cstr(''), serialize.cstr(text), serialize.int16(0)])),
  bind({ values }: { values: string[] }): Buffer {
    const params = values.flatMap((v) => [serialize.int32(Buffer.byteLength(v)), Buffer.from(v, 'utf8')]);
    return serialize.message('B', Buffer.concat([serialize.cstr(''), serialize.cstr(''), serialize.int16(0), serialize.int16(values.length), ...params, serialize.int16(0)]));
  },
  describe: ({ type }: { type: 'P' | 'S' }): Buffer => serialize.message('D', Buffer.concat([Buffer.from(type, 'latin1'), serialize.cstr('')])),
  execute: (_: object): Buffer => serialize.message('E', Buffer.concat([serialize.cstr(''), serialize.int32(0)])),
  sync: (): Buffer => serialize.message('S', Buffer.alloc(0)),
};

const CHILD = fileURLToPath(new URL('./fixtures/pool-client.ts', import.meta.url));
const dirs: string[] = [];
function dataDir(): string {
  const dir = tempDir('served');
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function runChild(url: string): Promise<WorkloadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CHILD, 'child'], {
      env: { ...process.env, DATABASE_URL: url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`child exited ${code}: ${err}`));
      resolve(JSON.parse(out.trim().split('\n').pop() as string) as WorkloadResult);
    });
  });
}

function frames(socket: ReturnType<typeof connect>): { text(): string; wait(pattern: RegExp, ms?: number): Promise<string> } {
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  const text = (): string => Buffer.concat(chunks).toString('latin1');
  return {
    text,
    async wait(pattern, ms = 5000) {
      const deadline = Date.now() + ms;
      while (!pattern.test(text())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} in ${JSON.stringify(text())}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return text();
    },
  };
}

describe('the embedded server', () => {
  it('lets pg pools in two processes query concurrently, each seeing the other’s committed rows', async () => {
    const server = await startEmbeddedServer({ dataDir: dataDir() });
    try {
      const db = await openDatabase({ url: server.url });
      await db.migrate();
      await db.query('CREATE TABLE shared_rows (id serial PRIMARY KEY, who text NOT NULL, n int NOT NULL, body text NOT NULL)');
      await db.close();

      const [mine, theirs] = await Promise.all([runWorkload(server.url, 'parent', 'child'), runChild(server.url)]);
      for (const side of [mine, theirs]) {
        assert.deepEqual(side.errors, [], `${side.who} errors`);
        assert.equal(side.wrong, 0, `${side.who} got someone else's answer`);
        assert.equal(side.queries, 120);
        assert.equal(side.sawOther, true, `${side.who} never saw the other's marker`);
        assert.equal(side.otherRows, 120);
      }
      // Both processes were working at the same time.
      assert.ok(mine.firstAt < theirs.lastAt && theirs.firstAt < mine.lastAt, 'the two workloads did not overlap');
    } finally {
      await server.close();
    }
  });

  it('keeps one client’s extended query whole while another client queries', async () => {
    const server = await startEmbeddedServer({ dataDir: 'memory://' });
    const other = new pg.Client({ connectionString: server.url });
    await other.connect();
    const raw = connect(server.port, '127.0.0.1');
    try {
      await new Promise((resolve, reject) => raw.once('connect', resolve).once('error', reject));
      const seen = frames(raw);
      raw.write(serialize.startup({ user: 'postgres', database: 'postgres' }));
      await seen.wait(/Z\0\0\0\x05I/);
      // Parse and Bind now, Execute later: pglite-socket's own queue let the other
      // client's Parse in between, and this client's portal vanished.
      raw.write(Buffer.concat([serialize.parse({ text: "SELECT 'A:' || $1::text AS v" }), serialize.bind({ values: ['mine'] })]));
      await new Promise((r) => setTimeout(r, 50));
      const theirs = other.query("SELECT 'B:' || $1::text AS v", ['theirs']);
      await new Promise((r) => setTimeout(r, 100));
      raw.write(Buffer.concat([serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync()]));
      assert.deepEqual((await theirs).rows, [{ v: 'B:theirs' }]);
      const text = await seen.wait(/A:mine[\s\S]*Z\0\0\0\x05I$/);
      assert.doesNotMatch(text, /does not exist/);

      // A client that dies inside a transaction is rolled back and frees the backend.
      await other.query('CREATE TABLE kept (v text)');
      raw.write(serialize.query("BEGIN; INSERT INTO kept VALUES ('uncommitted')"));
      await seen.wait(/INSERT 0 1[\s\S]*Z\0\0\0\x05T$/);
      raw.write(serialize.parse({ text: 'SELECT 1' }));
      await new Promise((r) => setTimeout(r, 50));
      raw.destroy();
      const after = await other.query('SELECT count(*)::int AS n FROM kept');
      assert.deepEqual(after.rows, [{ n: 0 }]);
    } finally {
      raw.destroy();
      await other.end().catch(() => undefined);
      await server.close();
    }
  });

  it('shares prepared statements between clients: the same name and text runs on both, another text under it fails', async () => {
    const server = await startEmbeddedServer({ dataDir: 'memory://' });
    const [a, b] = [new pg.Client({ connectionString: server.url }), new pg.Client({ connectionString: server.url })];
    await a.connect();
    await b.connect();
    try {
      const q = (client: pg.Client, text: string, n: number) => client.query<{ v: number }>({ name: 'sc_shared', text, values: [n] });
      assert.deepEqual((await q(a, 'SELECT $1::int + 1 AS v', 1)).rows, [{ v: 2 }]);
      // b prepares the same statement: one backend holds both clients' statements, so PGlite
      // alone would answer "prepared statement already exists".
      assert.deepEqual((await q(b, 'SELECT $1::int + 1 AS v', 41)).rows, [{ v: 42 }]);
      assert.deepEqual((await q(a, 'SELECT $1::int + 1 AS v', 2)).rows, [{ v: 3 }]);
      // Another text under a name the backend holds fails, as on one PostgreSQL connection.
      const c = new pg.Client({ connectionString: server.url });
      await c.connect();
      try {
        await assert.rejects(q(c, 'SELECT $1::int * 10 AS v', 1), (err: unknown) => (err as { code?: string }).code === '42P05');
        assert.deepEqual((await c.query<{ v: number }>('SELECT 7 AS v')).rows, [{ v: 7 }]);
      } finally {
        await c.end();
      }
      // DEALLOCATE drops the backend's statements: a client preparing the name again reaches PGlite.
      await a.query('DEALLOCATE ALL');
      const d = new pg.Client({ connectionString: server.url });
      await d.connect();
      try {
        assert.deepEqual((await q(d, 'SELECT $1::int + 1 AS v', 9)).rows, [{ v: 10 }]);
      } finally {
        await d.end();
      }
    } finally {
      await a.end();
      await b.end();
      await server.close();
    }
  });

  it('keeps the data across a restart on the same folder, and holds the folder while serving', async () => {
    const dir = dataDir();
    let server = await startEmbeddedServer({ dataDir: dir, port: 0 });
    try {
      await assert.rejects(openDatabase({ dataDir: dir }), DatabaseInUseError);
      const db = await openDatabase({ url: server.url });
      await db.migrate();
      await db.query('INSERT INTO users (email, provider, provider_id) VALUES ($1, $2, $3)', ['kept@example.com', 'dev', '1']);
      await db.close();
      // An open transaction at shutdown is rolled back.
      const open = new pg.Client({ connectionString: server.url });
      await open.connect();
      open.on('error', () => undefined);
      await open.query('BEGIN');
      await open.query('INSERT INTO users (email, provider, provider_id) VALUES ($1, $2, $3)', ['lost@example.com', 'dev', '2']);
      await server.close();
      await open.end().catch(() => undefined);

      server = await startEmbeddedServer({ dataDir: dir });
      const again = await openDatabase({ url: server.url });
      await again.assertMigrated();
      const emails = await again.query<{ email: string }>('SELECT email FROM users ORDER BY email');
      assert.deepEqual(
        emails.rows.map((r) => r.email),
        ['kept@example.com'],
      );
      await again.close();
    } finally {
      await server.close();
    }
    // Released: the folder opens in-process once the server is gone.
    const direct = await openDatabase({ dataDir: dir });
    assert.equal((await direct.query('SELECT count(*) AS n FROM users')).rows[0]?.n, 1);
    await direct.close();
  });

  it('refuses clients beyond maxConnections with SQLSTATE 53300', async () => {
    const server = await startEmbeddedServer({ dataDir: 'memory://', maxConnections: 2 });
    const clients = [0, 1, 2].map(() => new pg.Client({ connectionString: server.url }));
    try {
      await clients[0]?.connect();
      await clients[1]?.connect();
      await assert.rejects((clients[2] as pg.Client).connect(), (err: unknown) => (err as { code?: string }).code === '53300');
      assert.deepEqual((await clients[0]?.query('SELECT 1 AS one'))?.rows, [{ one: 1 }]);
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
      await server.close();
    }
  });

  it('a query that cannot get a connection in time fails as DatabaseUnavailableError (503), not as a bare error', async () => {
    const server = await startEmbeddedServer({ dataDir: 'memory://' });
    const db = await openDatabase({ url: server.url, poolSize: 1, connectTimeoutMs: 300 });
    try {
      let release!: () => void;
      const held = db.transaction(async (tx) => {
        await tx.query('SELECT 1');
        await new Promise<void>((r) => (release = r));
      });
      await new Promise((r) => setTimeout(r, 50));
      await assert.rejects(db.query('SELECT 1'), (err: unknown) => {
        assert.ok(err instanceof DatabaseUnavailableError, String(err));
        assert.equal(err.statusCode, 503);
        assert.equal(err.code, 'DATABASE_UNAVAILABLE');
        assert.match(String((err.cause as Error).message), /timeout exceeded when trying to connect/);
        return true;
      });
      release();
      await held;
      assert.deepEqual((await db.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
    } finally {
      await db.close();
      await server.close();
    }
  });

  it('fails to start on a port in use, releasing the folder', async () => {
    const dir = dataDir();
    const first = await startEmbeddedServer({ dataDir: 'memory://' });
    try {
      await assert.rejects(startEmbeddedServer({ dataDir: dir, port: first.port }), /EADDRINUSE/);
      const db = await openDatabase({ dataDir: dir });
      await db.close();
    } finally {
      await first.close();
    }
  });
});
