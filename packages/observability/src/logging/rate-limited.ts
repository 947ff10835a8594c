import type { Logger } from './logger.js';
import type { LogLevel } from './levels.js';

/** Options of {@link createRateLimitedLogger}. */
export interface RateLimitOptions {
  /** Minimum gap between two lines with the same key. Default 1000 ms. */
  intervalMs?: number;
  /** Clock (tests). */
  now?: () => number;
  /** Bound on distinct keys remembered; the oldest is forgotten past it. Default 1000. */
  maxKeys?: number;
}

/** A logger that lets at most one line per key through per interval. */
export interface RateLimitedLogger {
  /**
   * Logs `message` (which is also the rate-limit key) unless a line with the same key got
   * through less than `intervalMs` ago. A line that gets through after suppression carries
   * `suppressed_count`: how many lines with its key were dropped since the last one.
   * Returns whether the line was written.
   */
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): boolean;
  warning(message: string, fields?: Record<string, unknown>): boolean;
  error(message: string, fields?: Record<string, unknown>): boolean;
}

interface KeyState {
  lastAt: number;
  suppressed: number;
}

/**
 * Wraps a module logger for noisy events (an exporter failing on every request, a flapping
 * upstream). Keys are per wrapped logger, so two modules never silence each other.
 */
export function createRateLimitedLogger(logger: Logger, options: RateLimitOptions = {}): RateLimitedLogger {
  const interval = options.intervalMs ?? 1000;
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 1000;
  const states = new Map<string, KeyState>();

  const log = (level: LogLevel, message: string, fields?: Record<string, unknown>): boolean => {
    const t = now();
    const state = states.get(message);
    if (state && t - state.lastAt < interval) {
      state.suppressed++;
      return false;
    }
    const suppressed = state?.suppressed ?? 0;
    if (state) {
      state.lastAt = t;
      state.suppressed = 0;
    } else {
      if (states.size >= maxKeys) states.delete(states.keys().next().value as string);
      states.set(message, { lastAt: t, suppressed: 0 });
    }
    const line = suppressed > 0 ? { ...fields, suppressed_count: suppressed } : (fields ?? {});
    logger[level](line, message);
    return true;
  };

  return {
    log,
    warning: (message, fields) => log('warning', message, fields),
    error: (message, fields) => log('error', message, fields),
  };
}
