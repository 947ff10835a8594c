/**
 * Logger cost per line: the contract logger (`createLogger`) against raw pino configured to
 * write the same fields, both into a destination that discards (`{ write() {} }`).
 *
 * The contract logger runs inside `runWithContext({ user_id })` with an active span, so it
 * injects `trace_id`, `span_id` and `user_id` itself; raw pino is handed the same three
 * fields explicitly. The two loggers alternate sample by sample; ns/line medians are reported.
 */
import { context, trace } from '@opentelemetry/api';
import { createLogger, runWithContext, setupTracing } from '@samosachaat/observability';
import pino from 'pino';
import { median, roundOrder } from '../lib/stats.js';

/** Options of {@link benchLogger}. */
export interface LoggerBenchOptions {
  /** Lines per sample. */
  lines: number;
  /** Samples per logger (alternating). */
  rounds: number;
}

/** Result of {@link benchLogger}. */
export interface LoggerBenchResult {
  lines: number;
  rounds: number;
  contractNsPerLine: number[];
  pinoNsPerLine: number[];
  contractMedianNs: number;
  pinoMedianNs: number;
  /** contract / raw pino. */
  ratio: number;
  /** One line of each, to show they carry the same fields. */
  sampleContract: string;
  samplePino: string;
}

type Arm = 'contract' | 'pino';

const FIELDS = { conversation_id: 'c-42', tokens: 128 } as const;
const MESSAGE = 'message_sent';

/** Runs the logger benchmark in the current process. */
export function benchLogger(options: LoggerBenchOptions): LoggerBenchResult {
  // A real span from the package's tracer (no processor: nothing is exported).
  const tracing = setupTracing({ serviceName: 'bench', ringBufferSize: 0, registerGlobal: false });
  const span = tracing.tracer.startSpan('bench');
  const { trace_id, span_id } = { trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId };

  let captured = '';
  let capture = false;
  const sink = {
    write(line: string): void {
      if (capture) captured = line;
    },
  };

  const contract = createLogger({ service: 'bench', destination: sink }).logger;
  const raw = pino(
    {
      base: { service: 'bench' },
      messageKey: 'message',
      timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    sink,
  ).child({ logger: 'main' });

  const runContract = (n: number): void =>
    runWithContext({ user_id: 'u-1' }, () =>
      context.with(trace.setSpan(context.active(), span), () => {
        for (let i = 0; i < n; i++) contract.info(FIELDS, MESSAGE);
      }),
    );
  const runPino = (n: number): void => {
    for (let i = 0; i < n; i++) raw.info({ trace_id, span_id, user_id: 'u-1', ...FIELDS }, MESSAGE);
  };
  const runs: Record<Arm, (n: number) => void> = { contract: runContract, pino: runPino };

  capture = true;
  runContract(1);
  const sampleContract = captured.trim();
  runPino(1);
  const samplePino = captured.trim();
  capture = false;

  // Warm-up: let both reach optimised code before measuring.
  for (const arm of ['contract', 'pino'] as const) runs[arm](Math.min(50_000, options.lines));

  const samples: Record<Arm, number[]> = { contract: [], pino: [] };
  for (let round = 0; round < options.rounds; round++) {
    for (const arm of roundOrder(['contract', 'pino'] as const, round)) {
      const t0 = process.hrtime.bigint();
      runs[arm](options.lines);
      samples[arm].push(Number(process.hrtime.bigint() - t0) / options.lines);
    }
  }
  span.end();

  const contractMedianNs = median(samples.contract);
  const pinoMedianNs = median(samples.pino);
  return {
    lines: options.lines,
    rounds: options.rounds,
    contractNsPerLine: samples.contract,
    pinoNsPerLine: samples.pino,
    contractMedianNs,
    pinoMedianNs,
    ratio: contractMedianNs / pinoMedianNs,
    sampleContract,
    samplePino,
  };
}
