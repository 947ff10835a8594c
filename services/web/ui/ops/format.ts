/** Number and time formatting shared by the console views. */

/** Milliseconds as "850 ms" / "1.24 s". */
export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (value < 1) return `${value.toFixed(2)} ms`;
  if (value < 1000) return `${Math.round(value)} ms`;
  return `${(value / 1000).toFixed(value < 10_000 ? 2 : 1)} s`;
}

/** A number with at most `digits` decimals, "—" when unknown. */
export function num(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return Number.isInteger(value) ? String(value) : value.toFixed(digits);
}

/** A 0..1 share as a percentage. */
export function pct(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return `${(value * 100).toFixed(value > 0 && value < 0.01 ? 2 : 1)} %`;
}

/** Wall-clock time with milliseconds (log lines, span starts). */
export function clock(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toLocaleTimeString([], { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** The CSS class that colours a service everywhere in the console. */
export function serviceClass(service: string): string {
  return ['web', 'chat-api', 'auth', 'inference'].includes(service) ? `svc-${service}` : 'svc-other';
}
