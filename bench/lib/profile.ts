/**
 * Summarises a V8 `.cpuprofile` (written by `node --cpu-prof`): self time per function and
 * per origin (a file of this repository, an npm package, Node internals, GC, idle).
 */

/** The fields of a `.cpuprofile` the summary needs. */
export interface CpuProfile {
  nodes: Array<{ id: number; hitCount?: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  startTime: number;
  endTime: number;
  samples?: number[];
}

/** One row of a summary. */
export interface SelfTimeRow {
  name: string;
  selfMs: number;
  /** Share of all samples, idle included. */
  share: number;
}

/** Self time by function and by origin, plus the idle share. */
export interface ProfileSummary {
  totalMs: number;
  idleShare: number;
  functions: SelfTimeRow[];
  origins: SelfTimeRow[];
}

/** `node_modules/@scope/pkg/...` → `@scope/pkg`; repo files → their path from the repo root. */
export function originOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const repo = url.match(/\/(packages\/.+|bench\/.+)$/);
  return repo?.[1] ?? url.replace(/^file:\/\//, '');
}

function shortUrl(url: string): string {
  if (url === '') return '';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) return url.slice(nm + '/node_modules/'.length);
  return originOf(url, '');
}

function top(map: Map<string, number>, totalHits: number, msPerHit: number, limit: number): SelfTimeRow[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, hits]) => ({ name, selfMs: hits * msPerHit, share: hits / totalHits }));
}

/** Self time per function (`name file:line`) and per origin, top `limit` of each. */
export function summariseProfile(profile: CpuProfile, limit = 25): ProfileSummary {
  const hitsById = new Map<number, number>();
  if (profile.samples?.length) for (const id of profile.samples) hitsById.set(id, (hitsById.get(id) ?? 0) + 1);
  else for (const node of profile.nodes) hitsById.set(node.id, node.hitCount ?? 0);

  const byFunction = new Map<string, number>();
  const byOrigin = new Map<string, number>();
  let totalHits = 0;
  let idleHits = 0;
  for (const node of profile.nodes) {
    const hits = hitsById.get(node.id) ?? 0;
    if (hits === 0) continue;
    totalHits += hits;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') idleHits += hits;
    const fn = `${functionName || '(anonymous)'}${url ? ` ${shortUrl(url)}:${lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + hits);
    const origin = originOf(url, functionName);
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + hits);
  }
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const msPerHit = totalHits ? totalMs / totalHits : 0;
  return {
    totalMs,
    idleShare: totalHits ? idleHits / totalHits : 0,
    functions: top(byFunction, totalHits || 1, msPerHit, limit),
    origins: top(byOrigin, totalHits || 1, msPerHit, limit),
  };
}
