import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runDoctorCli, type DoctorCliIo } from '@samosachaat/service-kit';
import { keysCommand, migrateCommand, tokenCommand } from './commands.js';
import { EXIT_USAGE, explainFailure } from './errors.js';
import { configFromEnv as authConfig } from '@samosachaat/auth/config';
import * as authDoctor from '@samosachaat/auth/doctor';
import { configFromEnv as chatConfig } from '@samosachaat/chat-api/config';
import { configFromEnv as inferenceConfig } from '@samosachaat/inference/config';
import { buildDoctorRegistry, type DoctorServices } from '@samosachaat/platform/doctor-registry';
import { logsCommand, tracesCommand } from './inspect.js';
import { runStart } from './start.js';

/** The services as `samosachaat doctor` sees them (the same as web's console doctor). */
const DOCTOR_SERVICES: DoctorServices<authDoctor.JwtKeys> = { configs: { auth: authConfig, 'chat-api': chatConfig, inference: inferenceConfig }, auth: authDoctor };

/** The process surface the CLI needs, injectable so `main` can run inside a test. */
export interface CliIo extends DoctorCliIo {
  /** Directory relative paths (data dir, LOG_DIR) are resolved against. */
  cwd: string;
}


const USAGE = `usage: samosachaat <command> [options]

commands:
  start [--with-prometheus] [--model PATH]
                              start the whole platform on embedded defaults (PGlite database, demo engine,
                              development login) and print the URLs, a token and a curl to try it;
                              --with-prometheus also runs Prometheus (:9090, with the committed rules),
                              Alertmanager (:9093) and node_exporter (:9100) when they are installed;
                              --model serves that GGUF file with llama.cpp (so does a .gguf in DATA_DIR/models)
  doctor [--json] [check...]  check this machine and the running platform; every failure says how to fix it
                              (\`samosachaat doctor --help\` lists its options and checks)
  migrate [--status]          apply pending database migrations (DATABASE_URL, or PGlite in DATA_DIR)
  keys [--dir D] [--force]    write a new RS256 key pair for auth (mode 0600; JWT_PRIVATE_KEY_PATH and
                              JWT_PUBLIC_KEY_PATH, default DATA_DIR/keys); --force replaces an existing pair
  token --email E [--name N]  print a development access token for that user (needs the keys and the database)
  traces [--errors] [--all] [--limit N] [--json] [TRACE_ID]
                              recent traces from every service's buffer, or one trace as a waterfall;
                              scrapes, probes, background jobs, assets, console and trace reads hidden unless --all
  logs [--trace ID] [--service S] [--level L] [--since T] [--tail N] [--json]
                              log lines from LOG_DIR files (npm start: DATA_DIR/logs), across services: the
                              last 100 unless --tail N; --since 5m / 2h / 1d or an ISO 8601 date
  help                        show this help

The services are found where \`start\` puts them: WEB_PORT, AUTH_PORT, CHAT_API_PORT, INFERENCE_PORT
(defaults 3000, 8001, 8002, 8003), or WEB_URL, AUTH_URL, CHAT_API_URL, INFERENCE_URL.
Exit status: 0 done, 1 failed (the line says why), 2 a wrong command line or configuration.
`;

/** The real process's streams, environment and working directory. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, isTTY: process.stdout.isTTY === true, env: process.env, cwd: process.cwd() };
}

/**
 * Runs one `samosachaat` invocation and resolves with its exit status: the doctor's own
 * status for `doctor`, 0 when a command succeeded, 1 when it failed, 2 for a wrong command line.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (err) {
    // A failure the person can fix is one line with the fix; anything else is a bug (stack).
    const explained = explainFailure(err);
    if (!explained) throw err;
    io.stderr.write(`samosachaat ${argv[0]}: ${explained.line}\n`);
    return explained.exitCode;
  }
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'doctor':
      return runDoctorCli(buildDoctorRegistry(io.env, io.cwd, DOCTOR_SERVICES), rest, { ...io, command: 'samosachaat doctor' });
    case 'start': {
      const modelAt = rest.indexOf('--model');
      const model = modelAt >= 0 ? rest[modelAt + 1] : undefined;
      const unexpected = rest.find((arg, i) => arg !== '--with-prometheus' && !(modelAt >= 0 && (i === modelAt || i === modelAt + 1)));
      if (unexpected !== undefined || (modelAt >= 0 && (model === undefined || model.startsWith('--')))) {
        io.stderr.write(
          `samosachaat start: ${unexpected !== undefined ? `unexpected argument "${unexpected}"` : '--model needs the path of a .gguf file'}; the options are --with-prometheus and --model PATH, the rest is configured with environment variables (see the README)\n`,
        );
        return EXIT_USAGE;
      }
      return runStart({ ...io, withPrometheus: rest.includes('--with-prometheus'), ...(model !== undefined ? { model } : {}) });
    }
    case 'migrate':
      return migrateCommand(rest, io);
    case 'keys':
      return keysCommand(rest, io);
    case 'token':
      return tokenCommand(rest, io);
    case 'traces':
      return tracesCommand(rest, io);
    case 'logs':
      return logsCommand(rest, io);
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
