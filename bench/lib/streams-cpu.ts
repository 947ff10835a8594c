/**
 * CPU and allocation per forwarded token (bench/streams.ts, step "CPU per forwarded token"):
 * the inspector sessions that read a process's V8 allocation over a window, the fit of
 * CPU = a · sends + b · tokens over two answer lengths, and an opt-in CPU profile.
 *
 * Allocation: `v8.GCProfiler` is started in the process (through the DevTools protocol's
 * `Runtime.evaluate`, `process.getBuiltinModule('v8')`) when the window opens and stopped
 * when it closes; bytes allocated on the V8 heap over the window =
 * Σ over collections (used before it − used after the previous one) + used at the end −
 * used at the start. Buffer contents outside the V8 heap (ArrayBuffer backing stores) are not
 * in it.
 */
import { readFileSync } from 'node:fs';
import { WebSocket } from 'undici';
import type { WindowCpu } from './streams-load.js';
import { openInspector } from './streams-procs.js';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (Linux: 100 on every common build, `getconf CLK_TCK`). */
const CLK_TCK = 100;

/** CPU time (user + system) of `pid` so far, µs, from `/proc/<pid>/stat` (fields 14 and 15). */
export function procCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count from after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLK_TCK;
}

/** A DevTools-protocol session on a Node.js process started with `--inspect-port=127.0.0.1:<port>`. */
export class InspectorSession {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  private constructor(
    private readonly ws: WebSocket,
    private readonly label: string,
  ) {
    ws.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message?: string } };
      const w = message.id === undefined ? undefined : this.waiting.get(message.id);
      if (!w) return;
      this.waiting.delete(message.id as number);
      clearTimeout(w.timer);
      if (message.error) w.reject(new Error(`inspector of ${label}: ${message.error.message ?? 'error'}`));
      else w.resolve(message.result);
    };
  }

  /** SIGUSR1 opens the inspector of `pid` on `port` (a no-op when open), then a session attaches. */
  static async open(pid: number, port: number, label: string): Promise<InspectorSession> {
    const url = await openInspector(pid, port);
    if (url === undefined) throw new Error(`inspector of ${label} (pid ${pid}) did not open on port ${port}`);
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`inspector of ${label}: the WebSocket failed`));
    });
    return new InspectorSession(ws, label);
  }

  call<T>(method: string, params?: unknown, timeoutMs = 30_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`inspector of ${this.label}: no answer to ${method} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Evaluates `expression` (it must yield a JSON string) and parses its value. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.call<{ result?: { value?: string }; exceptionDetails?: { text?: string; exception?: { description?: string } } }>('Runtime.evaluate', { expression, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`inspector of ${this.label}: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return JSON.parse(r.result?.value ?? 'null') as T;
  }

  close(): void {
    for (const w of this.waiting.values()) clearTimeout(w.timer);
    this.waiting.clear();
    this.ws.close();
  }
}

const START_HEAP_PROBE = `(() => {
  const v8 = process.getBuiltinModule('v8');
  const g = globalThis;
  g.__samosachaatBenchGc?.stop();
  const profiler = new v8.GCProfiler();
  profiler.start();
  g.__samosachaatBenchGc = profiler;
  g.__samosachaatBenchGcInitial = v8.getHeapStatistics().used_heap_size;
  return JSON.stringify(g.__samosachaatBenchGcInitial);
})()`;

const STOP_HEAP_PROBE = `(() => {
  const v8 = process.getBuiltinModule('v8');
  const g = globalThis;
  const final = v8.getHeapStatistics().used_heap_size;
  const profiler = g.__samosachaatBenchGc;
  if (!profiler) return 'null';
  const result = profiler.stop();
  g.__samosachaatBenchGc = undefined;
  let previous = g.__samosachaatBenchGcInitial;
  let allocated = 0;
  let gcMs = 0;
  let scavenges = 0;
  for (const s of result.statistics) {
    allocated += s.beforeGC.heapStatistics.usedHeapSize - previous;
    previous = s.afterGC.heapStatistics.usedHeapSize;
    gcMs += s.cost / 1000;
    if (s.gcType === 'Scavenge') scavenges++;
  }
  allocated += final - previous;
  return JSON.stringify({ allocated, gcs: result.statistics.length, scavenges, gcMs });
})()`;

/** What a process allocated on its V8 heap over a window. */
export interface HeapWindow {
  /** Bytes. */
  allocated: number;
  /** Collections in the window (all kinds) and scavenges among them. */
  gcs: number;
  scavenges: number;
  /** Time spent in them, ms (GCProfiler's cost). */
  gcMs: number;
}

/** Starts / stops the allocation probe of one process (see the file's comment). */
export class HeapProbe {
  constructor(private readonly session: InspectorSession) {}

  async start(): Promise<void> {
    await this.session.evaluate<number>(START_HEAP_PROBE);
  }

  async stop(): Promise<HeapWindow | undefined> {
    return (await this.session.evaluate<HeapWindow | null>(STOP_HEAP_PROBE)) ?? undefined;
  }
}

/** One measured run of the CPU step: a path at a concurrency and answer length. */
export interface CpuRun {
  path: 'chat' | 'proxy';
  concurrency: number;
  maxTokens: number;
  cpu: WindowCpu;
  /** V8 heap bytes allocated in the window by the path's own process (chat-api or the proxy). */
  heap?: HeapWindow;
  /** Streams that failed in the run. */
  failures: number;
}

/** CPU = a · sends + b · tokens, fitted exactly on two runs of different answer lengths. */
export interface CpuFit {
  /** µs per send. */
  a: number;
  /** µs per token. */
  b: number;
}

/**
 * Solves a · s1 + b · t1 = c1, a · s2 + b · t2 = c2 (c: CPU µs over the window, less the
 * process's idle rate × the window; s: sends, t: tokens in the window).
 */
export function fitCpu(short: { sends: number; tokens: number; cpuUs: number }, long: { sends: number; tokens: number; cpuUs: number }): CpuFit {
  const det = short.sends * long.tokens - long.sends * short.tokens;
  if (det === 0) return { a: Number.NaN, b: Number.NaN };
  return {
    a: (short.cpuUs * long.tokens - long.cpuUs * short.tokens) / det,
    b: (short.sends * long.cpuUs - long.sends * short.cpuUs) / det,
  };
}

/** The same fit on allocated bytes: bytes per send, bytes per token. */
export function fitHeap(short: CpuRun, long: CpuRun): CpuFit | undefined {
  if (!short.heap || !long.heap) return undefined;
  return fitCpu(
    { sends: short.cpu.sends, tokens: short.cpu.tokens, cpuUs: short.heap.allocated },
    { sends: long.cpu.sends, tokens: long.cpu.tokens, cpuUs: long.heap.allocated },
  );
}

/** CPU µs of `process` in a run, less its idle rate (µs per ms of window). */
export function netCpuUs(run: CpuRun, process: string, idleUsPerMs: Record<string, number>): number {
  return (run.cpu.cpuUs[process] ?? Number.NaN) - (idleUsPerMs[process] ?? 0) * run.cpu.windowMs;
}
