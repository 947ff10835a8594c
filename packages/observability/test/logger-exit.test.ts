// The logger's batched stdout seen from outside a real process: every pending line is written
// before exit (the logger's in-process behaviour is in src/logging/logger.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scaled } from '../../../test/support/timeouts.js';

describe('createLogger in a process that exits', () => {
  it('batches stdout and writes every pending line before the process exits', async () => {
    const { spawnSync } = await import('node:child_process');
    const script = `
      import { createLogger } from '@samosachaat/observability';
      const { logger } = createLogger({ service: 'batch-test' });
      for (let i = 0; i < 2000; i++) logger.info({ i }, 'line');
      setTimeout(() => { logger.info({ i: 2000 }, 'after_timer'); setTimeout(() => process.exit(0), 300); }, 10);
    `;
    const child = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: scaled(30_000) });
    assert.equal(child.status, 0, child.stderr);
    const lines = child.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { i: number; service: string });
    assert.equal(lines.length, 2001);
    assert.deepEqual(lines.map((l) => l.i), Array.from({ length: 2001 }, (_, i) => i));
    // A crash path: exit straight after logging, with a partial chunk pending.
    const crash = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', "import { createLogger } from '@samosachaat/observability'; const { logger } = createLogger({ service: 'x' }); logger.error('last_words'); process.exit(3);"], { encoding: 'utf8', timeout: scaled(30_000) });
    assert.equal(crash.status, 3);
    assert.equal(JSON.parse(crash.stdout.trim()).message, 'last_words');
  });
});
