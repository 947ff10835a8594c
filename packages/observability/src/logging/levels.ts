/** The only level words a log line may carry (SPEC §2). */
export const LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const;

/** One of the contract's level words. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** pino needs numbers; these keep pino's spacing so `isLevelEnabled` comparisons behave. */
export const LEVEL_VALUES: Readonly<Record<LogLevel, number>> = Object.freeze({
  debug: 20,
  info: 30,
  warning: 40,
  error: 50,
  critical: 60,
});

/** True when `value` is one of the contract's level words. */
export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}
