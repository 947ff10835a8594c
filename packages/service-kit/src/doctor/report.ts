import type { CheckResult } from './types.js';

/** Options for {@link formatDoctorTable}. */
export interface DoctorTableOptions {
  /** Emit ANSI colours; callers decide (TTY, NO_COLOR) so this module stays pure. */
  color: boolean;
}

/** The machine-readable report printed by `doctor --json`. */
export interface DoctorJson {
  /** True when no check failed (a skipped check is not a failure, nor a pass). */
  ok: boolean;
  /** How many checks passed, failed and were skipped. */
  summary: DoctorSummary;
  /** One entry per selected check, in registration order; `status` is each one's verdict. */
  checks: CheckResult[];
}

const ANSI = { green: '\u001b[32m', red: '\u001b[31m', yellow: '\u001b[33m', reset: '\u001b[0m' } as const;

/** How many checks passed, failed and were skipped. */
export interface DoctorSummary {
  /** Checks that ran and were ok. */
  passed: number;
  /** Checks that were not ok. */
  failed: number;
  /** Checks that did not apply. */
  skipped: number;
}

/** Counts results by verdict; a skipped check counts as skipped, not as passed. */
export function summarizeDoctor(results: readonly CheckResult[]): DoctorSummary {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const r of results) {
    if (r.status === 'failed') failed += 1;
    else if (r.status === 'skipped') skipped += 1;
    else passed += 1;
  }
  return { passed, failed, skipped };
}

/**
 * Renders results as an aligned text table for people: a status mark, the check name, the
 * detail, and under each failure its fix on an indented line; then a summary line.
 * Multi-line details and fixes keep their alignment so per-item lists stay readable. A
 * skipped check's detail starts with `skipped:`, so it never reads as a pass.
 */
export function formatDoctorTable(results: readonly CheckResult[], options: DoctorTableOptions): string {
  const paint = (code: string, text: string): string => (options.color ? `${code}${text}${ANSI.reset}` : text);
  const nameWidth = Math.max(0, ...results.map((r) => r.name.length));
  // Status mark (1 char) + two spaces + padded name + two spaces.
  const detailIndent = ' '.repeat(1 + 2 + nameWidth + 2);
  const lines: string[] = [];
  for (const r of results) {
    const mark = r.status === 'failed' ? paint(ANSI.red, '✘') : r.status === 'skipped' ? paint(ANSI.yellow, '-') : paint(ANSI.green, '✔');
    const [first = '', ...rest] = (r.status === 'skipped' ? `skipped: ${r.detail}` : r.detail).split('\n');
    lines.push(`${mark}  ${r.name.padEnd(nameWidth)}  ${first}`.trimEnd());
    for (const line of rest) lines.push(`${detailIndent}${line}`.trimEnd());
    if (r.status === 'failed' && r.fix) {
      const [fixFirst = '', ...fixRest] = r.fix.split('\n');
      lines.push(`${detailIndent}fix: ${fixFirst}`);
      for (const line of fixRest) lines.push(`${detailIndent}     ${line}`);
    }
  }
  const { passed, failed, skipped } = summarizeDoctor(results);
  const summary = `${passed} passed, ${failed} failed, ${skipped} skipped`;
  if (lines.length > 0) lines.push('');
  lines.push(failed > 0 ? paint(ANSI.red, summary) : paint(ANSI.green, summary));
  return `${lines.join('\n')}\n`;
}

/** Builds the `--json` report; `ok` is false as soon as one check failed. */
export function doctorJson(results: readonly CheckResult[]): DoctorJson {
  return { ok: doctorPassed(results), summary: summarizeDoctor(results), checks: results.map((r) => ({ ...r })) };
}

/** True when no check failed: what the doctor's exit status and the reports' `ok` say. */
export function doctorPassed(results: readonly CheckResult[]): boolean {
  return results.every((r) => r.status !== 'failed');
}
