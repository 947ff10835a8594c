/** What one readiness check found. */
export interface ReadinessResult {
  name: string;
  ok: boolean;
  detail?: string;
}

/** A readiness check: resolve (optionally with a detail) when ready, throw when not. */
export type ReadinessCheck = () => Promise<string | void> | string | void;

/** The readiness checks a service registers (database reachable, model loaded, …). */
export class ReadinessRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();
  private draining = false;

  constructor(private readonly timeoutMs = 2000) {}

  /** Adds a named check; names are unique. */
  add(name: string, check: ReadinessCheck): void {
    if (this.checks.has(name)) throw new Error(`readiness check "${name}" is already registered`);
    this.checks.set(name, check);
  }

  /** Marks the service as shutting down: it stays alive but stops being ready. */
  startDraining(): void {
    this.draining = true;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Runs every check concurrently, each bounded by the timeout. */
  async run(): Promise<{ ready: boolean; checks: ReadinessResult[] }> {
    const results = await Promise.all([...this.checks].map(([name, check]) => this.runOne(name, check)));
    return { ready: !this.draining && results.every((r) => r.ok), checks: results };
  }

  private async runOne(name: string, check: ReadinessCheck): Promise<ReadinessResult> {
    const found = await checkWithin(check, this.timeoutMs, `timed out after ${this.timeoutMs} ms`);
    return found.ok && !found.detail ? { name, ok: true } : { name, ...found };
  }
}

/**
 * Runs one check bounded by `timeoutMs` (shared by readiness and dependency probes): ok with
 * the check's detail, or not ok with its error message (`timeoutMessage` past the bound).
 */
export async function checkWithin(check: ReadinessCheck, timeoutMs: number, timeoutMessage: string): Promise<{ ok: boolean; detail?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(timeoutMessage)), timeoutMs);
  });
  try {
    const detail = await Promise.race([Promise.resolve().then(check), timeout]);
    return detail ? { ok: true, detail } : { ok: true };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}
