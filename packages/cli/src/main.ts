import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runDoctorCli, type DoctorCliIo } from '@samosachaat/observability';
import { buildDoctorRegistry } from './doctor-registry.js';

/** The process surface the CLI needs, injectable so `main` can run inside a test. */
export interface CliIo extends DoctorCliIo {
  /** Directory relative paths (data dir, LOG_DIR) are resolved against. */
  cwd: string;
}

/** Exit status for a wrong command line, shared with the doctor's usage errors. */
const EXIT_USAGE = 2;

const USAGE = `usage: samosachaat <command> [options]

commands:
  doctor [--json] [check...]  check this machine can run samosaChaat; every failure says how to fix it
                              (\`samosachaat doctor --help\` lists its options and checks)
  start                       start the samosaChaat services (not available yet, see below)
  help                        show this help

Today this version ships the observability foundation and the doctor; the services are not built yet.
`;

// Said plainly because a `start` that printed nothing, or faked success, would send people
// debugging services that do not exist.
const START_MESSAGE = `samosachaat start: there is nothing to start yet.
The samosaChaat services (auth, chat-api, inference, web) are not built yet in this version.
What exists today is the observability foundation (packages/observability) and the doctor:
  npm run doctor
`;

/** The real process's streams, environment and working directory. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, isTTY: process.stdout.isTTY === true, env: process.env, cwd: process.cwd() };
}

/**
 * Runs one `samosachaat` invocation and resolves with its exit status: the doctor's own
 * status for `doctor`, 1 for `start` (nothing to start yet), 2 for a wrong command line.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'doctor':
      return runDoctorCli(buildDoctorRegistry(io.env, io.cwd), rest, { ...io, command: 'samosachaat doctor' });
    case 'start':
      io.stderr.write(START_MESSAGE);
      return 1;
    case 'help':
    case '--help':
    case '-h':
      io.stdout.write(USAGE);
      return 0;
    case undefined:
      // Scripts that forget the command should fail, not succeed quietly.
      io.stderr.write(USAGE);
      return EXIT_USAGE;
    default:
      io.stderr.write(`samosachaat: unknown command "${command}"\nrun \`samosachaat --help\` for the list of commands\n`);
      return EXIT_USAGE;
  }
}

/**
 * Sets the exit status and makes sure the process really ends once the report is out: a
 * check that timed out may still hold a socket or a stuck native call, and waiting on it
 * would turn a clear verdict into a hang.
 */
export function finish(code: number): void {
  process.exitCode = code;
  // Unref'd, so a process with nothing pending exits at once; only a stuck one waits for it.
  setTimeout(() => process.exit(code), 1000).unref();
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

// Run only when executed directly; the bin launcher imports this module and calls main itself.
if (isEntryPoint()) {
  main(process.argv.slice(2)).then(finish, (error: unknown) => {
    process.stderr.write(`samosachaat: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    finish(1);
  });
}
