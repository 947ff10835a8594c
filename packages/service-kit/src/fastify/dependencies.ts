import { checkWithin, type ReadinessCheck } from './readiness.js';

/** What the last probe of one dependency found. */
export interface DependencyState {
  /** null until the first probe has finished. */
  ok: boolean | null;
  detail: string;
  /** ISO time of the last probe; null before the first. */
  checked_at: string | null;
}

/**
 * What lies behind a service, watched but never gating its readiness. `/ready` answers
 * only for what a service itself needs to serve (chat-api: its database): a readiness probe
 * that followed inference would take every chat-api pod out of its Service during an inference
 * outage, and conversation lists would fail with the answers. The state of the dependencies
 * instead goes to `/health` (`dependencies`), the `dependency_up` gauge, the operations
 * console and the doctor. Probes run in the background (first at start, then every
 * `intervalMs`), each bounded by `timeoutMs`; readers get the cached result and never wait.
 */
export class DependencyWatch {
  private readonly checks = new Map<string, ReadinessCheck>();
  private readonly states = new Map<string, DependencyState>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly timeoutMs = 2000,
    private readonly intervalMs = 15_000,
  ) {}

  /** Adds a named dependency; its check resolves (optionally with a detail) or throws. */
  add(name: string, check: ReadinessCheck): void {
    if (this.checks.has(name)) throw new Error(`dependency "${name}" is already registered`);
    this.checks.set(name, check);
    this.states.set(name, { ok: null, detail: 'not probed yet', checked_at: null });
  }

  /** Names of the registered dependencies. */
  get names(): string[] {
    return [...this.checks.keys()];
  }

  /** The last probe's result per dependency. */
  snapshot(): Record<string, DependencyState> {
    return Object.fromEntries(this.states);
  }

  /** Probes every dependency now (joining a probe already running) and resolves when done. */
  probeNow(): Promise<void> {
    this.running ??= Promise.all([...this.checks].map(([name, check]) => this.probe(name, check))).then(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Starts the background probes (no-op without dependencies or when already started). */
  start(): void {
    if (this.timer !== undefined || this.checks.size === 0) return;
    void this.probeNow();
    this.timer = setInterval(() => void this.probeNow(), this.intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async probe(name: string, check: ReadinessCheck): Promise<void> {
    const found = await checkWithin(check, this.timeoutMs, `no answer within ${this.timeoutMs} ms`);
    this.states.set(name, { ok: found.ok, detail: found.detail || (found.ok ? 'reachable' : ''), checked_at: new Date().toISOString() });
  }
}
