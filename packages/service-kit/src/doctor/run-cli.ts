import type { DoctorRegistry } from './registry.js';
import { doctorJson, doctorPassed, formatDoctorTable } from './report.js';

/** Anything text can be written to: `process.stdout`, a test buffer... */
export interface DoctorTextSink {
  /** Writes a chunk of text. */
  write(chunk: string): unknown;
}

/** The process surface `runDoctorCli` needs, injected so it can be tested in-process. */
export interface DoctorCliIo {
  /** Where the report goes. */
  stdout: DoctorTextSink;
  /** Where usage errors go. */
  stderr: DoctorTextSink;
  /** Whether stdout is a terminal; colour is only ever used on one. */
  isTTY: boolean;
  /** Environment, read for NO_COLOR. */
  env: Readonly<Record<string, string | undefined>>;
  /** How the user invoked the doctor, used in help and error text; defaults to `doctor`. */
  command?: string;
}

/** Exit statuses of {@link runDoctorCli}. */
export const DOCTOR_EXIT = Object.freeze({
  /** No check failed (each passed or was skipped). */
  ok: 0,
  /** At least one check failed. */
  failed: 1,
  /** The command line itself was wrong. */
  usage: 2,
} as const);

interface ParsedArgs {
  json: boolean;
  color: boolean;
  help: boolean;
  only: string[];
  timeoutMs: number | undefined;
}

class UsageError extends Error {}

/**
 * Runs the doctor as a command: parses `argv` (the arguments after `doctor`), runs the
 * selected checks, prints a table (or JSON with `--json`) and resolves with the exit status
 * — 0 all ok, 1 any failure, 2 usage error. It never touches `process` itself.
 */
export async function runDoctorCli(registry: DoctorRegistry, argv: readonly string[], io: DoctorCliIo): Promise<number> {
  const command = io.command ?? 'doctor';
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
    if (args.help) {
      io.stdout.write(usage(registry, command));
      return DOCTOR_EXIT.ok;
    }
    const known = new Set(registry.names());
    const unknown = args.only.filter((name) => !known.has(name));
    if (unknown.length > 0) {
      throw new UsageError(`unknown check${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (known: ${registry.names().join(', ') || 'none'})`);
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`${command}: ${error.message}\nrun \`${command} --help\` for usage\n`);
    return DOCTOR_EXIT.usage;
  }
  const results = await registry.run({ only: args.only, ...(args.timeoutMs === undefined ? {} : { timeoutMs: args.timeoutMs }) });
  if (args.json) {
    io.stdout.write(`${JSON.stringify(doctorJson(results), null, 2)}\n`);
  } else {
    // https://no-color.org: any non-empty NO_COLOR disables colour.
    const color = args.color && io.isTTY && !io.env['NO_COLOR'];
    io.stdout.write(formatDoctorTable(results, { color }));
  }
  return doctorPassed(results) ? DOCTOR_EXIT.ok : DOCTOR_EXIT.failed;
}

function parseArgs(argv: readonly string[]): ParsedArgs {
  const parsed: ParsedArgs = { json: false, color: true, help: false, only: [], timeoutMs: undefined };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--') {
      parsed.only.push(...argv.slice(i + 1));
      break;
    } else if (flag === '--json' && inline === undefined) parsed.json = true;
    else if (flag === '--no-color' && inline === undefined) parsed.color = false;
    else if ((flag === '--help' || flag === '-h') && inline === undefined) parsed.help = true;
    else if (flag === '--only') parsed.only.push(value());
    else if (flag === '--timeout') {
      const raw = value();
      const ms = Number(raw);
      if (!Number.isInteger(ms) || ms <= 0) throw new UsageError(`--timeout wants a positive whole number of milliseconds, got "${raw}"`);
      parsed.timeoutMs = ms;
    } else if (flag.startsWith('-')) throw new UsageError(`unknown option "${arg}"`);
    else parsed.only.push(arg);
  }
  return parsed;
}

function usage(registry: DoctorRegistry, command: string): string {
  const checks = registry.list();
  const width = Math.max(0, ...checks.map((c) => c.name.length));
  const lines = checks.map((c) => `  ${c.name.padEnd(width)}  ${c.description}`);
  return [
    `usage: ${command} [options] [check...]`,
    '',
    'Runs health checks and says how to fix every failure. Exit status: 0 all ok, 1 a check failed, 2 usage error.',
    '',
    'options:',
    '  --json           print a JSON report instead of a table (never coloured)',
    '  --only <name>    run only this check (repeatable; same as naming it positionally)',
    '  --timeout <ms>   time budget per check (default 5000)',
    '  --no-color       no ANSI colours (also: NO_COLOR=1, or stdout not a terminal)',
    '  -h, --help       show this help',
    '',
    'checks:',
    ...(lines.length > 0 ? lines : ['  (none registered)']),
    '',
  ].join('\n');
}
