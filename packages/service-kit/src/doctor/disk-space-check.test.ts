import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { diskSpaceCheck, formatBytes } from './disk-space-check.js';
import { DoctorRegistry } from './registry.js';

async function runOne(check: ReturnType<typeof diskSpaceCheck>) {
  const [result] = await new DoctorRegistry().register(check).run();
  assert.ok(result);
  return result;
}

describe('diskSpaceCheck', () => {
  it('passes when the floor is tiny and shows free space human-readably', async () => {
    const result = await runOne(diskSpaceCheck({ path: tmpdir(), minFreeBytes: 1 }));
    assert.equal(result.name, 'disk-space');
    assert.equal(result.ok, true, result.detail);
    assert.match(result.detail, /^\d+(\.\d)? (B|KiB|MiB|GiB|TiB|PiB) free on the filesystem holding .+ \(need 1 B\)$/);
    assert.equal(result.fix, null);
  });

  it('fails when the floor is above any real disk, with a fix', async () => {
    const result = await runOne(diskSpaceCheck({ path: tmpdir(), minFreeBytes: Number.MAX_SAFE_INTEGER }));
    assert.equal(result.ok, false);
    assert.match(result.detail, /need 8\.0 PiB/);
    assert.match(result.fix ?? '', /free at least .+ or point DATA_DIR at a directory on a larger disk/);
  });

  it('fails with a fix when the path does not exist', async () => {
    const missing = join(tmpdir(), `no-such-dir-${process.pid}-${Date.now()}`);
    const result = await runOne(diskSpaceCheck({ path: missing }));
    assert.equal(result.ok, false);
    assert.match(result.detail, /cannot measure free space .*ENOENT/);
    assert.match(result.fix ?? '', new RegExp(`create ${missing}`));
  });

  it('defaults the floor to 1 GiB', () => {
    assert.match(diskSpaceCheck({ path: '.' }).description, /at least 1\.0 GiB free/);
  });
});

describe('formatBytes', () => {
  it('uses binary units with one decimal above bytes', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(1024 ** 3), '1.0 GiB');
    assert.equal(formatBytes(5 * 1024 ** 4), '5.0 TiB');
  });
});
