/** Types of {@link ./common.cjs}: the routes and workload every benchmark server shares. */

/** A minimal view of a Fastify instance: enough to register the two GET routes. */
export interface RouteHost {
  get(path: string, handler: () => Promise<unknown>): unknown;
}

/** A deterministic, chat-shaped JSON document (~0.6 KB with the default 2 messages). */
export function makePayload(items?: number): string;
/** Size in bytes of the document the `/json` route parses and serialises. */
export const PAYLOAD_BYTES: number;
/** Runs the JSON workload `repeat` times; returns the bytes produced. */
export function jsonWork(repeat: number): number;
/** Median wall time of one `jsonWork(repeat)` call in µs, after a warm-up. */
export function measureWorkUs(repeat: number, calls?: number): number;
/** Chooses `repeat` so one `jsonWork(repeat)` call takes about `targetUs` (median). */
export function calibrateRepeat(targetUs?: number): { repeat: number; unitUs: number; perCallUs: number };
/** Registers `/hello` and `/json`. */
export function registerRoutes(app: RouteHost, repeat: number): void;
/** Repeat count handed down by the parent (BENCH_JSON_REPEAT). */
export function repeatFromEnv(env?: Record<string, string | undefined>): number;
/** Exits with the parent (IPC disconnect) and on SIGTERM/SIGINT; answers profiling commands. */
export function bindToParent(): void;
/** Sends `{ type: 'ready', port, workUs }` to the parent. */
export function announceReady(port: number, repeat: number): void;
/** Listens on an ephemeral loopback port, then tells the parent it is ready. */
export function listenAndAnnounce(app: { listen(o: { host: string; port: number }): Promise<unknown>; server: { address(): unknown } }, repeat: number): Promise<void>;
/** Sends `{ type: 'error', message }` to the parent and exits. */
export function announceFailure(err: unknown): void;
