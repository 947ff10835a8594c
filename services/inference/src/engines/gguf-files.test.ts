import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UpstreamError } from './engine.js';
import { assertFitsInMemory, listGgufFiles, modelIdOf, resolveModelFile } from './gguf-files.js';

describe('GGUF files of MODELS_DIR', () => {
  let root: string;
  let dir: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'gguf-files-'));
    dir = join(root, 'models');
    mkdirSync(dir);
    writeFileSync(join(dir, 'a.gguf'), 'x');
    writeFileSync(join(dir, 'B.GGUF'), 'x');
    writeFileSync(join(dir, 'readme.txt'), 'x');
    writeFileSync(join(dir, '.hidden.gguf'), 'x');
    mkdirSync(join(dir, 'folder.gguf'));
    writeFileSync(join(root, 'outside.gguf'), 'x');
    symlinkSync(join(root, 'outside.gguf'), join(dir, 'escape.gguf'));
    symlinkSync(join(dir, 'a.gguf'), join(dir, 'alias.gguf'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('lists regular GGUF files and links that stay inside the folder', async () => {
    assert.deepEqual(await listGgufFiles(dir), ['B.GGUF', 'a.gguf', 'alias.gguf']);
    assert.deepEqual(await listGgufFiles(join(root, 'missing')), []);
    assert.equal(modelIdOf('Qwen2.5-0.5B-Instruct-Q4_K_M.gguf'), 'Qwen2.5-0.5B-Instruct-Q4_K_M');
  });

  it('resolves a model id to its file, and refuses paths, traversal and links out', async () => {
    assert.equal(await resolveModelFile(dir, 'a'), join(dir, 'a.gguf'));
    assert.equal(await resolveModelFile(dir, 'a.gguf'), join(dir, 'a.gguf'));
    assert.equal(await resolveModelFile(dir, 'B'), join(dir, 'B.GGUF'));
    for (const [model, message] of [
      ['../outside', /not a model name/],
      ['/etc/passwd', /not a model name/],
      ['..', /not a model name/],
      ['.hidden', /not a model name/],
      ['escape', /outside the models folder/],
      ['folder', /is not a regular file/],
      ['nope', /no file nope\.gguf in the models folder/],
    ] as const) {
      await assert.rejects(resolveModelFile(dir, model), (err: unknown) => err instanceof UpstreamError && message.test(err.message), model);
    }
    await assert.rejects(resolveModelFile(join(root, 'missing'), 'a'), /the models folder .* does not exist \(MODELS_DIR\)/);
  });

  it('refuses a file that does not fit in the available memory, naming it and both sizes', () => {
    const gib = 1024 ** 3;
    assert.doesNotThrow(() => assertFitsInMemory('/m/small.gguf', 1 * gib, 4 * gib));
    assert.throws(
      () => assertFitsInMemory('/m/big.gguf', 8 * gib, 4 * gib),
      (err: unknown) => err instanceof UpstreamError && err.message === 'model file /m/big.gguf needs about 8.80 GiB of memory and only 4.00 GiB is available; choose a smaller model or quantisation (e.g. Q4_K_M) or free memory',
    );
  });
});
