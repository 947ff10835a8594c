import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OverCapacityError } from '../errors.js';
import { WorkerPool, type PoolSnapshot } from './worker-pool.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('WorkerPool', () => {
  it('runs at most WORKERS at once, queues up to QUEUE_LIMIT in order, refuses the rest with Retry-After', async () => {
    const changes: PoolSnapshot[] = [];
    const pool = new WorkerPool({ workers: 2, queueLimit: 2, onChange: (s) => changes.push(s) });
    const a = await pool.acquire();
    const b = await pool.acquire();
    const order: string[] = [];
    const c = pool.acquire().then((l) => (order.push('c'), l));
    const d = pool.acquire().then((l) => (order.push('d'), l));
    assert.deepEqual(pool.snapshot, { workers: 2, busy: 2, queueDepth: 2, queueLimit: 2 });
    await assert.rejects(pool.acquire(), (err: unknown) => err instanceof OverCapacityError && (err.retryAfterSeconds ?? 0) >= 1 && /queue is full \(2\/2\)/.test(err.message));
    a.release();
    a.release(); // a second release is ignored
    const leaseC = await c;
    assert.ok(leaseC.queuedMs >= 0);
    assert.deepEqual(order, ['c']);
    assert.deepEqual(pool.snapshot, { workers: 2, busy: 2, queueDepth: 1, queueLimit: 2 });
    b.release();
    await d;
    assert.deepEqual(order, ['c', 'd']);
    assert.equal(changes.at(-1)?.queueDepth, 0);
    assert.equal(Math.max(...changes.map((s) => s.busy)), 2);
  });

  it('refuses at once when the queue limit is 0 and every worker is busy', async () => {
    const pool = new WorkerPool({ workers: 1, queueLimit: 0 });
    await pool.acquire();
    await assert.rejects(pool.acquire(), OverCapacityError);
  });

  it('drops a waiter whose client left, and refuses an already aborted one', async () => {
    const pool = new WorkerPool({ workers: 1, queueLimit: 1 });
    const held = await pool.acquire();
    const controller = new AbortController();
    const waiting = pool.acquire(controller.signal);
    assert.equal(pool.snapshot.queueDepth, 1);
    controller.abort(new Error('gone'));
    await assert.rejects(waiting, /gone/);
    assert.equal(pool.snapshot.queueDepth, 0);
    await assert.rejects(pool.acquire(controller.signal), /gone/);
    held.release();
    assert.equal(pool.snapshot.busy, 0);
  });

  it('while paused queues new requests, waits for in-flight ones to finish, and serves the queue on resume', async () => {
    const pool = new WorkerPool({ workers: 2, queueLimit: 4 });
    const inFlight = await pool.acquire();
    pool.pause();
    const queued = pool.acquire();
    let idle = false;
    const idlePromise = pool.whenIdle().then(() => (idle = true));
    await tick();
    assert.equal(idle, false);
    assert.deepEqual(pool.snapshot, { workers: 2, busy: 1, queueDepth: 1, queueLimit: 4 });
    inFlight.release();
    await idlePromise;
    assert.equal(pool.snapshot.busy, 0, 'nothing starts while paused');
    pool.resume();
    const lease = await queued;
    assert.equal(pool.snapshot.busy, 1);
    lease.release();
    await pool.whenIdle();
  });

  it('estimates Retry-After from how long slots are held and how deep the queue is', async () => {
    let now = 0;
    const pool = new WorkerPool({ workers: 2, queueLimit: 3, now: () => now });
    assert.equal(pool.retryAfterSeconds(), 1, 'no history yet: one second');
    const first = await pool.acquire();
    now += 4000;
    first.release();
    const held = [await pool.acquire(), await pool.acquire()];
    const queued = [pool.acquire(), pool.acquire(), pool.acquire()];
    const err = await pool.acquire().catch((e: unknown) => e);
    assert.ok(err instanceof OverCapacityError);
    // 4 s per generation, 3 queued + this one, 2 workers: 8 s.
    assert.equal(err.retryAfterSeconds, 8);
    for (const lease of held) lease.release();
    for (const lease of await Promise.all(queued.slice(0, 2))) lease.release();
    (await queued[2])?.release();
    assert.deepEqual(pool.snapshot, { workers: 2, busy: 0, queueDepth: 0, queueLimit: 3 });
  });
});
