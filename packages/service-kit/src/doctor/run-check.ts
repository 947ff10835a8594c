import { performance } from 'node:perf_hooks';
import type { CheckOutcome, CheckResult, CheckStatus, DoctorCheck } from './types.js';

/** Per-check time budget when the caller gives none. */
export const DEFAULT_CHECK_TIMEOUT_MS = 5000;

/**
 * Runs one check under a time budget and always settles with a result: throws, timeouts
 * and malformed outcomes all become failed results, because one broken check must never
 * hide the verdict of the others.
 */
export async function runDoctorCheck(check: DoctorCheck, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  // Promise.resolve().then(...) turns a synchronous throw inside run() into a rejection.
  const running = Promise.resolve().then(() => check.run({ signal: controller.signal, timeoutMs }));
  // A check may still reject after we stopped waiting for it; that must not become an
  // unhandled rejection that kills the process.
  running.catch(() => undefined);

  let base: Verdict;
  try {
    const settled = await Promise.race([running, timedOut]);
    if (settled === 'timeout') {
      controller.abort(new Error(`timed out after ${timeoutMs} ms`));
      base = {
        status: 'failed',
        detail: `timed out after ${timeoutMs} ms`,
        fix:
          `what "${check.name}" probes did not answer in time; rerun it alone ` +
          `(\`npm run doctor -- ${check.name}\`) and, if the host is merely slow, raise the budget with --timeout <ms>`,
      };
    } else {
      base = normalizeOutcome(check.name, settled);
    }
  } catch (error) {
    base = fromThrown(check.name, error);
  } finally {
    clearTimeout(timer);
  }
  const { status, detail, fix } = base;
  return {
    name: check.name,
    status,
    ok: status === 'skipped' ? null : status === 'passed',
    detail,
    fix,
    duration_ms: Math.round(performance.now() - started),
    skipped: status === 'skipped',
  };
}

/** What a run found, before the fields derived from the status are added. */
interface Verdict {
  status: CheckStatus;
  detail: string;
  fix: string | null;
}

function normalizeOutcome(name: string, outcome: unknown): Verdict {
  if (typeof outcome !== 'object' || outcome === null || typeof (outcome as CheckOutcome).ok !== 'boolean') {
    return {
      status: 'failed',
      detail: 'the check returned something that is not a CheckOutcome',
      fix: bugFix(name, 'return { ok, detail, fix? } from run()'),
    };
  }
  const { ok, detail, fix, skipped } = outcome as CheckOutcome;
  const text = typeof detail === 'string' ? detail : String(detail);
  if (ok) return { status: skipped === true ? 'skipped' : 'passed', detail: text, fix: null };
  const hasFix = typeof fix === 'string' && fix.trim() !== '';
  return { status: 'failed', detail: text, fix: hasFix ? fix : bugFix(name, 'every failure must say how to fix it') };
}

function fromThrown(name: string, error: unknown): Verdict {
  const message = error instanceof Error ? error.message : String(error);
  // A check may attach a `fix` to what it throws when it knows the remedy.
  const carried = (error as { fix?: unknown } | null)?.fix;
  return {
    status: 'failed',
    detail: `check threw: ${message}`,
    fix: typeof carried === 'string' && carried.trim() !== '' ? carried : bugFix(name, 'a check should return a failed outcome instead of throwing'),
  };
}

function bugFix(name: string, rule: string): string {
  return `this is a bug in the "${name}" doctor check (${rule}); please report it with the detail above`;
}
