/**
 * Child-process entry of the in-process micro-benchmarks (logger cost per line, /metrics
 * render time). It runs in its own process so the package's AsyncLocalStorage context
 * manager never touches the load generator, and sends `{ type: 'result', value }` over IPC.
 *
 * Arguments: `--lines N --rounds N --renders N`.
 */
import { benchLogger, type LoggerBenchResult } from './logger.js';
import { benchRender, type RenderCase } from './render.js';

/** What the micro-benchmarks report. */
export interface MicroResult {
  logger: LoggerBenchResult;
  render: RenderCase[];
}

function intArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const n = i === -1 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
}

async function main(): Promise<void> {
  process.on('disconnect', () => process.exit(0));
  const logger = benchLogger({ lines: intArg('lines', 200_000), rounds: intArg('rounds', 7) });
  const render = await benchRender(intArg('renders', 15));
  const value: MicroResult = { logger, render };
  process.send?.({ type: 'result', value }, () => process.exit(0));
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  if (process.send) process.send({ type: 'error', message }, () => process.exit(1));
  else {
    console.error(message);
    process.exit(1);
  }
});
