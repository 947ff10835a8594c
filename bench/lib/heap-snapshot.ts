/**
 * Heap snapshots of a running Node.js process over its inspector (DevTools protocol), and
 * what a snapshot holds summarised by kind of object — so a memory figure per stream can be
 * split by what holds it (`bench:streams -- --heap-snapshot DIR`).
 */
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { WebSocket } from 'undici';
import { openInspector } from './streams-procs.js';

/**
 * Writes a heap snapshot of `pid` (started with `--inspect-port=127.0.0.1:<port>`) to `file`,
 * after `gcs` forced full collections. Rejects when the inspector does not answer.
 */
export async function takeHeapSnapshot(pid: number, port: number, file: string, gcs = 2): Promise<void> {
  const url = await openInspector(pid, port);
  if (url === undefined) throw new Error(`inspector of pid ${pid} did not answer on port ${port}`);
  const ws = new WebSocket(url);
  const out = createWriteStream(file);
  try {
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`inspector of pid ${pid}: the WebSocket failed`));
    });
    let next = 1;
    const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
    ws.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; method?: string; params?: { chunk?: string }; result?: unknown; error?: { message: string } };
      if (message.method === 'HeapProfiler.addHeapSnapshotChunk') {
        out.write(message.params?.chunk ?? '');
        return;
      }
      const waiter = message.id === undefined ? undefined : pending.get(message.id);
      if (!waiter) return;
      pending.delete(message.id as number);
      if (message.error) waiter.reject(new Error(message.error.message));
      else waiter.resolve(message.result);
    };
    const call = (method: string, params?: unknown) =>
      new Promise<unknown>((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        ws.send(JSON.stringify({ id, method, params }));
      });
    for (let i = 0; i < gcs; i++) await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  } finally {
    ws.close();
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

/** What a snapshot holds of one kind of object. */
export interface HeapGroup {
  count: number;
  bytes: number;
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/**
 * A snapshot file's objects grouped by kind: `type:name` for objects, closures and native
 * objects (the constructor or function name), the type alone for strings, code, arrays and
 * V8's internal kinds (their names are contents, not kinds). Shallow sizes, in bytes.
 */
export async function summariseSnapshot(file: string): Promise<Map<string, HeapGroup>> {
  const snap = JSON.parse(await readFile(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const named = new Set(['object', 'closure', 'native']);
  const groups = new Map<string, HeapGroup>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt] as number] ?? '?';
    const key = named.has(type) ? `${type}:${snap.strings[snap.nodes[i + nameAt] as number]}` : type;
    const group = groups.get(key) ?? { count: 0, bytes: 0 };
    group.count++;
    group.bytes += snap.nodes[i + sizeAt] as number;
    groups.set(key, group);
  }
  return groups;
}

/** The kinds that grew most from `before` to `after`, per unit (e.g. per open stream). */
export function heapGrowth(before: Map<string, HeapGroup>, after: Map<string, HeapGroup>, units: number, top = 30): Array<{ kind: string; countPerUnit: number; bytesPerUnit: number }> {
  const rows: Array<{ kind: string; countPerUnit: number; bytesPerUnit: number }> = [];
  for (const [kind, a] of after) {
    const b = before.get(kind) ?? { count: 0, bytes: 0 };
    rows.push({ kind, countPerUnit: (a.count - b.count) / units, bytesPerUnit: (a.bytes - b.bytes) / units });
  }
  rows.sort((x, y) => y.bytesPerUnit - x.bytesPerUnit);
  const total = rows.reduce((sum, r) => sum + r.bytesPerUnit, 0);
  return [...rows.slice(0, top), { kind: '(all kinds)', countPerUnit: rows.reduce((s, r) => s + r.countPerUnit, 0), bytesPerUnit: total }];
}
