/**
 * How a `samosachaat` command reports what went wrong: one line naming the problem and the
 * fix, exit 2 for what the person typed or configured, 1 for what the machine could not do.
 * A stack trace is printed only for what nobody could have fixed from the message: a bug.
 */
import { DevelopmentUserError, JwtKeyError } from '@samosachaat/auth';
import { DatabaseInUseError, explainDatabaseFailure, isDatabaseUnavailable, MigrationError, PendingMigrationsError } from '@samosachaat/db';
import { ConfigError } from '@samosachaat/service-kit';
import { PortVariableError } from '@samosachaat/platform/service-ports';

/** Exit status of a wrong command line or configuration. */
export const EXIT_USAGE = 2;
/** Exit status of a command that could not do its work. */
export const EXIT_FAILED = 1;

/** A failure a command explains itself: the message is the whole story, no stack. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT_USAGE,
  ) {
    super(message);
  }
}

/** The one line and exit status for a failure, or undefined when it is a bug (show the stack). */
export function explainFailure(err: unknown, database?: string): { line: string; exitCode: number } | undefined {
  if (err instanceof CliError) return { line: err.message, exitCode: err.exitCode };
  if (err instanceof ConfigError || err instanceof PortVariableError) return { line: err.message, exitCode: EXIT_USAGE };
  if (err instanceof DevelopmentUserError) {
    const example = err.field === 'email' ? ' (e.g. --email you@example.com)' : ' (e.g. --name "Asha Rao")';
    return { line: `--${err.field}: ${err.message}${example}`, exitCode: EXIT_USAGE };
  }
  if (err instanceof JwtKeyError) return { line: `${err.message}; fix: ${err.fix}`, exitCode: EXIT_USAGE };
  if (err instanceof PendingMigrationsError || err instanceof DatabaseInUseError || err instanceof MigrationError) {
    return { line: explainDatabaseFailure(err, database), exitCode: EXIT_FAILED };
  }
  const code = (err as { code?: unknown } | null)?.code;
  const cause = (err as { cause?: unknown } | null)?.cause;
  if (isDatabaseUnavailable(err) || isDatabaseUnavailable(cause) || (typeof code === 'string' && /^(ENOTFOUND|EAI_AGAIN|28|3D000)/.test(code))) {
    return { line: explainDatabaseFailure(err, database), exitCode: EXIT_FAILED };
  }
  return undefined;
}
