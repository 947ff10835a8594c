import type { Logger, Observability } from '@samosachaat/observability';

/** Options of {@link stopOnSignals}. */
export interface StopOnSignalsOptions {
  obs: Observability;
  /** The service's main logger (`service_stopping`, `service_stopped`, `shutdown_failed`). */
  log: Logger;
  /** Closes what the service owns, in order (the app first, so in-flight requests finish). */
  close: () => Promise<void>;
  /** Give up waiting after this long: `shutdown_timed_out`, exit status 1. Default: wait. */
  timeoutMs?: number;
}

/**
 * A service's graceful stop on SIGINT or SIGTERM, once: log `service_stopping`, run `close`,
 * log `service_stopped` (or `shutdown_failed` and exit status 1), flush telemetry, exit.
 */
export function stopOnSignals(options: StopOnSignalsOptions): void {
  const { obs, log, close, timeoutMs } = options;
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'service_stopping');
    const force =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            log.error({ timeout_ms: timeoutMs }, 'shutdown_timed_out');
            process.exit(1);
          }, timeoutMs).unref();
    try {
      await close();
      log.info('service_stopped');
    } catch (err) {
      log.error({ err }, 'shutdown_failed');
      process.exitCode = 1;
    } finally {
      clearTimeout(force);
      await obs.shutdown();
      process.exit(process.exitCode ?? 0);
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}
