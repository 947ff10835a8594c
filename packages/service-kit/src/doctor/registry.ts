import { DEFAULT_CHECK_TIMEOUT_MS, runDoctorCheck } from './run-check.js';
import type { CheckResult, DoctorCheck, RunOptions } from './types.js';

/** Names are what people type on the command line, so they stay lowercase kebab-case. */
const NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** The name and one-line description of a registered check, for help screens. */
export interface CheckSummary {
  /** The check's name. */
  readonly name: string;
  /** What it verifies. */
  readonly description: string;
}

/**
 * Holds the named checks a process knows about and runs all of them or a chosen few.
 * Services add their own checks (database, keys, readiness...) next to the built-in ones.
 */
export class DoctorRegistry {
  readonly #checks = new Map<string, DoctorCheck>();

  /**
   * Adds a check. Throws on an invalid or duplicate name: both are programming errors that
   * should fail loudly at startup rather than produce a confusing report.
   */
  register(check: DoctorCheck): this {
    const { name } = check;
    if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
      throw new Error(`invalid doctor check name ${JSON.stringify(name)}: use lowercase kebab-case, e.g. "disk-space"`);
    }
    if (this.#checks.has(name)) {
      throw new Error(`doctor check "${name}" is already registered`);
    }
    this.#checks.set(name, check);
    return this;
  }

  /** Registered check names, in registration order. */
  names(): string[] {
    return [...this.#checks.keys()];
  }

  /** Registered checks' names and descriptions, in registration order. */
  list(): CheckSummary[] {
    return [...this.#checks.values()].map(({ name, description }) => ({ name, description }));
  }

  /**
   * Runs the selected checks concurrently, each under its own time budget, and resolves
   * with one result per check in registration order. Never rejects because of a check;
   * rejects only when `only` names checks that are not registered.
   */
  async run(options: RunOptions = {}): Promise<CheckResult[]> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new Error(`doctor timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
    }
    const wanted = options.only && options.only.length > 0 ? new Set(options.only) : null;
    if (wanted) {
      const unknown = [...wanted].filter((name) => !this.#checks.has(name));
      if (unknown.length > 0) {
        const known = this.names().join(', ') || '(none registered)';
        throw new Error(`unknown doctor check${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (known: ${known})`);
      }
    }
    const selected = [...this.#checks.values()].filter((check) => !wanted || wanted.has(check.name));
    return Promise.all(selected.map((check) => runDoctorCheck(check, timeoutMs)));
  }
}
