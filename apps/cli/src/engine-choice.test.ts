import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chooseEngine, EngineChoiceError } from './engine-choice.js';

describe('the engine npm start chooses', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'engine-choice-'));
    mkdirSync(join(root, 'empty', 'models'), { recursive: true });
    mkdirSync(join(root, 'full', 'models'), { recursive: true });
    writeFileSync(join(root, 'full', 'models', 'b.gguf'), 'x');
    writeFileSync(join(root, 'full', 'models', 'a.gguf'), 'x');
    writeFileSync(join(root, 'full', 'models', 'notes.txt'), 'x');
    writeFileSync(join(root, 'model.bin'), 'x');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('keeps the demo engine when DATA_DIR/models holds no GGUF', () => {
    const c = chooseEngine({}, root, join(root, 'empty'), undefined);
    assert.deepEqual(c.env, {});
    assert.equal(c.local, false);
    assert.match(c.description, /^demo \(not a language model; put a \.gguf file in .*empty\/models to serve a real one\)$/);
  });

  it('picks llama with the first GGUF of DATA_DIR/models, or of MODELS_DIR', () => {
    const c = chooseEngine({}, root, join(root, 'full'), undefined);
    assert.deepEqual(c.env, { ENGINE: 'llama', MODELS_DIR: join(root, 'full', 'models') });
    assert.equal(c.description, `llama, model a.gguf (${join(root, 'full', 'models')}, 2 models)`);
    const d = chooseEngine({ MODELS_DIR: 'full/models', LLAMA_MODEL: 'b' }, root, join(root, 'empty'), undefined);
    assert.equal(d.env.MODELS_DIR, join(root, 'full', 'models'));
    assert.match(d.description, /^llama, model b /);
  });

  it('serves the file of --model, and names the problem with a bad one', () => {
    const c = chooseEngine({}, root, join(root, 'empty'), 'full/models/b.gguf');
    assert.deepEqual(c.env, { ENGINE: 'llama', MODELS_DIR: join(root, 'full', 'models'), LLAMA_MODEL: 'b.gguf' });
    assert.throws(() => chooseEngine({}, root, root, 'missing.gguf'), (e: unknown) => e instanceof EngineChoiceError && e.message === '--model missing.gguf: no such file (give the path of a .gguf file)');
    assert.throws(() => chooseEngine({}, root, root, 'model.bin'), /--model model\.bin: not a \.gguf file/);
    assert.throws(() => chooseEngine({ ENGINE: 'openai' }, root, root, 'full/models/b.gguf'), /--model needs the llama engine, but ENGINE=openai/);
  });

  it('respects ENGINE, and refuses ENGINE=llama without a model file', () => {
    assert.deepEqual(chooseEngine({ ENGINE: 'openai' }, root, join(root, 'full'), undefined).env, {});
    // The banner names the engine that runs, never "demo" for another one; no credentials.
    assert.equal(
      chooseEngine({ ENGINE: 'openai', OPENAI_MODEL: 'qwen', OPENAI_BASE_URL: 'http://user:secret@vllm:8000/v1/' }, root, join(root, 'full'), undefined).description,
      'openai, model qwen at http://vllm:8000/v1 (an OpenAI-compatible model server)',
    );
    assert.deepEqual(chooseEngine({ ENGINE: 'demo' }, root, join(root, 'full'), undefined).env, {});
    assert.throws(() => chooseEngine({ ENGINE: 'llama' }, root, join(root, 'empty'), undefined), /ENGINE=llama, but .*empty\/models holds no \.gguf file/);
  });
});
