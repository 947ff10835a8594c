/**
 * What the runner hands every check. Checks get their configuration from their factory
 * (see the built-in checks); the context only carries what the runner itself owns.
 */
export interface DoctorContext {
  /**
   * Aborted when the check's time budget runs out. The runner stops waiting at that moment
   * regardless, so honouring the signal only matters for releasing sockets, timers and files.
   */
  readonly signal: AbortSignal;
  /** The time budget in milliseconds this run gives each check. */
  readonly timeoutMs: number;
}

/** What a check reports about one thing it probed. */
export interface CheckOutcome {
  /** True when the thing is healthy (or the check was skipped). */
  ok: boolean;
  /** One human-readable sentence (or one line per item) saying what was found. */
  detail: string;
  /**
   * How to fix the problem. Required in practice whenever `ok` is false: the runner turns a
   * failure without a fix into a result whose fix says the check itself is buggy.
   */
  fix?: string;
  /** True when the check does not apply in this configuration; only honoured when `ok` is true. */
  skipped?: boolean;
}

/** A named, self-describing probe that the doctor can run. */
export interface DoctorCheck {
  /** Unique kebab-case name, e.g. `disk-space`; what people type after `doctor`. */
  name: string;
  /** One line shown in `--help` saying what the check verifies. */
  description: string;
  /** Probes one thing. May throw; the runner turns throws into failed results. */
  run(ctx: DoctorContext): Promise<CheckOutcome> | CheckOutcome;
}

/** A check's verdict: it ran and passed, it ran and failed, or it did not apply. */
export type CheckStatus = 'passed' | 'failed' | 'skipped';

/**
 * One row of a doctor report, as printed by `--json`. Field names are snake_case because
 * this is a machine contract shared with non-TypeScript tooling.
 */
export interface CheckResult {
  /** The check's name. */
  name: string;
  /** The verdict; what people and scripts should read. */
  status: CheckStatus;
  /**
   * True when the check passed, false when it failed, null when it was skipped: a check that
   * did not run says nothing about health, so it never reads as ok (nor as a failure).
   */
  ok: boolean | null;
  /** What the check found. */
  detail: string;
  /** How to fix a failure; always a non-empty string when `ok` is false, null otherwise. */
  fix: string | null;
  /** Wall-clock time the check took, in whole milliseconds. */
  duration_ms: number;
  /** True when the check did not apply (`status` is `skipped`). */
  skipped: boolean;
}

/** Options for {@link DoctorRegistry.run}. */
export interface RunOptions {
  /** Run only these checks (by name); every check when absent or empty. */
  only?: readonly string[];
  /** Per-check time budget in milliseconds; defaults to 5000. */
  timeoutMs?: number;
}
