/**
 * Timeouts that scale with the machine. A test's timeout is there to stop a hang, never to
 * measure speed: on a CI machine whose other jobs keep the load average at 17 on 2 cores, every
 * process start, TypeScript load and PGlite open takes several times longer than on an idle
 * one, and a fixed bound turns that into a failure. `scaled(ms)` multiplies a bound written for
 * an idle machine by how busy this one is right now: the 1-minute load average per core, at
 * least 1 (`TEST_TIMEOUT_SCALE` sets a larger floor, e.g. under valgrind or a debugger). It is
 * read when the bound is computed, so a deadline computed later in a run sees the load then.
 */
import { availableParallelism, loadavg } from 'node:os';

export function timeoutScale(): number {
  const floor = Number(process.env['TEST_TIMEOUT_SCALE'] ?? '1');
  const perCore = (loadavg()[0] ?? 0) / availableParallelism();
  return Math.max(1, Number.isFinite(floor) ? floor : 1, perCore);
}

/** `ms`, written for an idle machine, scaled to how busy this one is (see above). */
export function scaled(ms: number): number {
  return Math.ceil(ms * timeoutScale());
}
