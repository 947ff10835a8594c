import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { doctorJson, formatDoctorTable, summarizeDoctor } from './report.js';
import type { CheckResult } from './types.js';

const ESC = '\u001b[';

function result(partial: Partial<CheckResult> & { name: string; status: CheckResult['status'] }): CheckResult {
  return { ok: partial.status === 'skipped' ? null : partial.status === 'passed', detail: 'fine', fix: null, duration_ms: 1, skipped: partial.status === 'skipped', ...partial };
}

const mixed: CheckResult[] = [
  result({ name: 'disk-space', status: 'passed', detail: '40.0 GiB free' }),
  result({ name: 'ports-free', status: 'failed', detail: 'port 8001 (auth): in use\nport 8002 (chat-api): free', fix: 'stop it\nor move it' }),
  result({ name: 'log-dir-writable', status: 'skipped', detail: 'file logging off (LOG_DIR unset)' }),
];

describe('formatDoctorTable', () => {
  it('renders aligned rows, indented fixes and a summary, with no ANSI escapes when color is false', () => {
    const text = formatDoctorTable(mixed, { color: false });
    assert.equal(text.includes(ESC), false);
    assert.equal(
      text,
      [
        '✔  disk-space        40.0 GiB free',
        '✘  ports-free        port 8001 (auth): in use',
        '                     port 8002 (chat-api): free',
        '                     fix: stop it',
        '                          or move it',
        '-  log-dir-writable  skipped: file logging off (LOG_DIR unset)',
        '',
        '1 passed, 1 failed, 1 skipped',
        '',
      ].join('\n'),
    );
  });

  it('colours the status marks green/red/yellow when color is true', () => {
    const text = formatDoctorTable(mixed, { color: true });
    assert.ok(text.includes(`${ESC}32m✔${ESC}0m  disk-space`), text);
    assert.ok(text.includes(`${ESC}31m✘${ESC}0m  ports-free`), text);
    assert.ok(text.includes(`${ESC}33m-${ESC}0m  log-dir-writable`), text);
    assert.ok(text.includes(`${ESC}31m1 passed, 1 failed, 1 skipped${ESC}0m`), text);
  });

  it('prints only the summary when nothing ran', () => {
    assert.equal(formatDoctorTable([], { color: false }), '0 passed, 0 failed, 0 skipped\n');
  });
});

describe('doctorJson', () => {
  it('is ok only when no check failed, and keeps every field of every result', () => {
    const report = doctorJson(mixed);
    assert.equal(report.ok, false);
    assert.deepEqual(report.checks, mixed);
    assert.notEqual(report.checks[0], mixed[0]);
    assert.deepEqual(report.summary, { passed: 1, failed: 1, skipped: 1 });
    const healthy = doctorJson([mixed[0] as CheckResult, mixed[2] as CheckResult]);
    assert.equal(healthy.ok, true);
    assert.deepEqual(Object.keys(healthy.checks[0] ?? {}).sort(), ['detail', 'duration_ms', 'fix', 'name', 'ok', 'skipped', 'status']);
    // A skipped check is neither ok nor failed, in every field a script might read.
    assert.deepEqual([healthy.checks[1]?.status, healthy.checks[1]?.ok, healthy.checks[1]?.skipped], ['skipped', null, true]);
    assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
  });
});

describe('summarizeDoctor', () => {
  it('counts skipped separately from passed', () => {
    assert.deepEqual(summarizeDoctor(mixed), { passed: 1, failed: 1, skipped: 1 });
  });
});
