import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('./fixtures/stdout-burst.ts', import.meta.url));

function runBurst(lines: number, extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', fixture], {
      env: { ...process.env, LINES: String(lines), ...extraEnv },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(chunks).toString('utf8') }));
  });
}

test('stdout sink: a burst of multi-byte lines arrives whole and in order, even on process.exit', async () => {
  const lines = 3000;
  const { code, stdout } = await runBurst(lines);
  assert.equal(code, 0);
  const parsed = stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { seq: number; note: string; message: string; service: string });
  assert.equal(parsed.length, lines);
  parsed.forEach((line, i) => {
    assert.equal(line.seq, i);
    assert.equal(line.message, 'burst_line');
    assert.equal(line.service, 'burst');
    assert.ok(line.note.startsWith('zwölf Boxkämpfer jagen Viktor — '));
    assert.equal(line.note.length, 'zwölf Boxkämpfer jagen Viktor — '.length + (i % 300));
  });
});

test('stdout sink: lines longer than its buffer arrive whole, between the short ones, in order', async () => {
  const lines = 400;
  const { code, stdout } = await runBurst(lines, { LONG_EVERY: '50', LONG_CHARS: '40000' });
  assert.equal(code, 0);
  const parsed = stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { seq: number; note: string });
  assert.equal(parsed.length, lines);
  parsed.forEach((line, i) => {
    assert.equal(line.seq, i);
    const tail = i % 50 === 49 ? 'ü'.repeat(40_000) : 'x'.repeat(i % 300);
    assert.equal(line.note, `zwölf Boxkämpfer jagen Viktor — ${tail}`);
  });
});
