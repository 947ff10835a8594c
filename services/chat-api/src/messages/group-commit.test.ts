import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupCommit } from './group-commit.js';

interface Write {
  key: string;
  value: number;
}

/** A GroupCommit whose statements are held until the test releases them. */
function harness(maxBatch = 100, maxInFlight = 1) {
  const statements: { items: Write[]; release(fail?: Error): void }[] = [];
  const sizes: number[] = [];
  const commit = new GroupCommit<Write, number>({
    run: (items) =>
      new Promise<number[]>((resolve, reject) => {
        statements.push({ items, release: (fail) => (fail ? reject(fail) : resolve(items.map((i) => i.value * 10))) });
      }),
    key: (w) => w.key,
    maxBatch,
    maxInFlight,
    onBatch: (n) => sizes.push(n),
  });
  return { commit, statements, sizes };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('group commit', () => {
  it('sends a write alone and at once when nothing is in flight', async () => {
    const { commit, statements } = harness();
    const done = commit.submit({ key: 'a', value: 1 });
    await tick();
    assert.deepEqual(statements.map((s) => s.items), [[{ key: 'a', value: 1 }]]);
    statements[0]?.release();
    assert.equal(await done, 10);
  });

  it('groups the writes that arrive while a statement is in flight into the next one, each getting its own result', async () => {
    const { commit, statements, sizes } = harness();
    const first = commit.submit({ key: 'a', value: 1 });
    await tick();
    const later = [2, 3, 4].map((value) => commit.submit({ key: `k${value}`, value }));
    await tick();
    assert.equal(statements.length, 1, 'one statement in flight at most');
    assert.equal(commit.waiting, 3);
    statements[0]?.release();
    await first;
    await tick();
    assert.deepEqual(statements[1]?.items.map((i) => i.value), [2, 3, 4]);
    statements[1]?.release();
    assert.deepEqual(await Promise.all(later), [20, 30, 40]);
    assert.deepEqual(sizes, [1, 3]);
  });

  it('never puts two writes of one key in a statement, and keeps their order', async () => {
    const { commit, statements } = harness(100, 2);
    const results = [commit.submit({ key: 'a', value: 1 }), commit.submit({ key: 'a', value: 2 }), commit.submit({ key: 'b', value: 3 })];
    await tick();
    assert.deepEqual(statements.map((s) => s.items.map((i) => i.value)), [[1, 3], [2]]);
    for (const s of statements) s.release();
    assert.deepEqual(await Promise.all(results), [10, 20, 30]);
  });

  it('caps the writes per statement and the statements in flight', async () => {
    const { commit, statements } = harness(2, 2);
    const results = [1, 2, 3, 4, 5, 6, 7].map((value) => commit.submit({ key: `k${value}`, value }));
    await tick();
    assert.deepEqual(statements.map((s) => s.items.map((i) => i.value)), [[1, 2], [3, 4]]);
    statements[0]?.release();
    await tick();
    assert.deepEqual(statements.map((s) => s.items.map((i) => i.value)), [[1, 2], [3, 4], [5, 6]]);
    statements[1]?.release();
    statements[2]?.release();
    await tick();
    statements[3]?.release();
    assert.deepEqual(await Promise.all(results), [10, 20, 30, 40, 50, 60, 70]);
  });

  it('writes a failed statement\'s writes again one at a time: only the write the database refuses fails', async () => {
    const { commit, statements, sizes } = harness();
    const first = commit.submit({ key: 'a', value: 1 });
    await tick();
    const batch = [commit.submit({ key: 'b', value: 2 }), commit.submit({ key: 'c', value: 3 }), commit.submit({ key: 'd', value: 4 })];
    const settled = Promise.allSettled(batch);
    statements[0]?.release();
    await first;
    await tick();
    assert.deepEqual(statements[1]?.items.map((i) => i.value), [2, 3, 4]);
    statements[1]?.release(new Error('invalid byte sequence for encoding "UTF8": 0x00'));
    // Then alone, in order: b succeeds, c is refused again, d succeeds.
    for (const [n, fail] of [[2, undefined], [3, new Error('refused alone')], [4, undefined]] as const) {
      await tick();
      assert.deepEqual(statements.at(-1)?.items.map((i) => i.value), [n]);
      statements.at(-1)?.release(fail);
    }
    const [b, c, d] = await settled;
    assert.deepEqual(b, { status: 'fulfilled', value: 20 });
    assert.match(String((c as PromiseRejectedResult).reason), /refused alone/);
    assert.deepEqual(d, { status: 'fulfilled', value: 40 });
    assert.deepEqual(sizes, [1, 3], 'the retries are not batches');
    // A statement of one that fails fails its write at once, and the next writes go on.
    const alone = commit.submit({ key: 'e', value: 5 });
    alone.catch(() => undefined);
    await tick();
    statements.at(-1)?.release(new Error('connection lost'));
    await assert.rejects(alone, /connection lost/);
    const after = commit.submit({ key: 'b', value: 6 });
    await tick();
    statements.at(-1)?.release();
    assert.equal(await after, 60);
  });

  it('fails a whole batch at once, without writing its items again, when the error says every one would fail alone', async () => {
    let statements = 0;
    const down = Object.assign(new Error('connect ECONNREFUSED'), { unavailable: true });
    const commit = new GroupCommit<Write, number>({
      run: async () => {
        statements++;
        throw down;
      },
      key: (w) => w.key,
      maxBatch: 10,
      maxInFlight: 1,
      splitOnFailure: (err) => !(err as { unavailable?: boolean }).unavailable,
    });
    const all = await Promise.allSettled([commit.submit({ key: 'a', value: 1 }), commit.submit({ key: 'b', value: 2 }), commit.submit({ key: 'c', value: 3 })]);
    assert.deepEqual(all.map((r) => (r as PromiseRejectedResult).reason), [down, down, down]);
    assert.equal(statements, 1, 'one statement, no retries one by one');
  });

  it('fails the writes of a statement that answers the wrong number of results, or throws before it starts', async () => {
    const wrong = new GroupCommit<Write, number>({ run: async () => [1, 2, 3], key: (w) => w.key, maxBatch: 10, maxInFlight: 1 });
    const both = Promise.allSettled([wrong.submit({ key: 'a', value: 1 }), wrong.submit({ key: 'b', value: 2 })]);
    for (const r of await both) assert.match(String((r as PromiseRejectedResult).reason), /the batch of 2 answered 3 results/);
    const throwing = new GroupCommit<Write, number>({
      run: () => {
        throw new Error('bad input');
      },
      key: (w) => w.key,
      maxBatch: 10,
      maxInFlight: 1,
    });
    await assert.rejects(throwing.submit({ key: 'a', value: 1 }), /bad input/);
    assert.throws(() => new GroupCommit<Write, number>({ run: async () => [], key: (w) => w.key, maxBatch: 0, maxInFlight: 1 }), RangeError);
  });
});
