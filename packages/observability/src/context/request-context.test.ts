import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { bindContext, getContextFields, inCurrentContext, runWithContext } from './request-context.js';

const id = () => getContextFields()?.request as string | undefined;

describe('request context', () => {
  it('inCurrentContext: a listener runs in the context it was bound in, whoever emits, with its arguments', () => {
    const emitter = new EventEmitter();
    const seen: Array<[string | undefined, number]> = [];
    runWithContext({ request: 'listener' }, () => {
      bindContext({ user_id: 'u1' });
      emitter.on('close', inCurrentContext((code: number) => seen.push([`${id()}/${String(getContextFields()?.user_id)}`, code])));
    });
    runWithContext({ request: 'emitter' }, () => emitter.emit('close', 7));
    emitter.emit('close', 8);
    assert.deepEqual(seen, [
      ['listener/u1', 7],
      ['listener/u1', 8],
    ]);
    assert.equal(id(), undefined);
  });

  it('survives await, Promise.all, timers and setImmediate', async () => {
    await runWithContext({ request: 'r1' }, async () => {
      await sleep(1);
      assert.equal(id(), 'r1');
      const seen = await Promise.all([
        (async () => (await sleep(2), id()))(),
        new Promise<string | undefined>((resolve) => setTimeout(() => resolve(id()), 1)),
        new Promise<string | undefined>((resolve) => setImmediate(() => resolve(id()))),
        new Promise<string | undefined>((resolve) => process.nextTick(() => resolve(id()))),
      ]);
      assert.deepEqual(seen, ['r1', 'r1', 'r1', 'r1']);
    });
    assert.equal(id(), undefined);
  });

  it('survives streams and async generators', async () => {
    await runWithContext({ request: 'r2' }, async () => {
      async function* tokens() {
        for (const t of ['a', 'b', 'c']) {
          await sleep(1);
          yield `${t}:${id()}`;
        }
      }
      const generated: string[] = [];
      for await (const t of tokens()) generated.push(t);
      assert.deepEqual(generated, ['a:r2', 'b:r2', 'c:r2']);

      const written: string[] = [];
      await pipeline(
        Readable.from(['x', 'y']),
        new Transform({
          transform(chunk, _enc, cb) {
            setTimeout(() => cb(null, `${chunk}:${id()}`), 1);
          },
        }),
        new Writable({
          write(chunk, _enc, cb) {
            written.push(`${chunk}>${id()}`);
            cb();
          },
        }),
      );
      assert.deepEqual(written, ['x:r2>r2', 'y:r2>r2']);
    });
  });

  it('never leaks between interleaved units of work', async () => {
    const emitter = new EventEmitter();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        runWithContext({ request: `req-${i}` }, async () => {
          await sleep(Math.floor(Math.random() * 5));
          bindContext({ user_id: `user-${i}` });
          await new Promise<void>((resolve) => emitter.once(`go-${i}`, resolve));
          await sleep(Math.floor(Math.random() * 5));
          return `${id()}/${getContextFields()?.user_id as string}`;
        }),
      ).concat(
        // Release the waiters in reverse order from outside any context.
        (async () => {
          await sleep(10);
          for (let i = 199; i >= 0; i--) emitter.emit(`go-${i}`);
          return 'released';
        })(),
      ),
    );
    results.pop();
    results.forEach((r, i) => assert.equal(r, `req-${i}/user-${i}`));
  });

  it('nests: an inner unit inherits and may add, the outer is unchanged', async () => {
    await runWithContext({ request: 'outer', a: 1 }, async () => {
      await runWithContext({ job: 'inner' }, async () => {
        await sleep(1);
        assert.deepEqual({ ...getContextFields() }, { request: 'outer', a: 1, job: 'inner' });
      });
      assert.deepEqual({ ...getContextFields() }, { request: 'outer', a: 1 });
    });
  });

  it('bindContext outside any unit of work is a no-op that says so', () => {
    assert.equal(bindContext({ user_id: 'x' }), false);
  });
});
