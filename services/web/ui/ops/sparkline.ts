/** A small SVG line chart of recent values (no axes: the number next to it is the reading). */

const NS = 'http://www.w3.org/2000/svg';

/** Draws `values` (nulls are gaps) into a 120×32 SVG, scaled to their own range. */
export function sparkline(values: Array<number | null>, label: string): SVGSVGElement {
  const width = 120;
  const height = 32;
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'sparkline');
  svg.setAttribute('role', 'img');
  const known = values.filter((v): v is number => v !== null && Number.isFinite(v));
  svg.setAttribute('aria-label', known.length ? `${label}: last ${known.length} readings, from ${fmt(Math.min(...known))} to ${fmt(Math.max(...known))}` : `${label}: no readings yet`);
  if (known.length === 0) return svg;
  const min = Math.min(0, ...known);
  const max = Math.max(...known);
  const span = max - min || 1;
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  let d = '';
  let pen = false;
  let last: [string, string] = ['0', '0'];
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      pen = false;
      return;
    }
    last = [(i * step).toFixed(1), (height - 2 - ((v - min) / span) * (height - 4)).toFixed(1)];
    d += `${pen ? 'L' : 'M'}${last[0]} ${last[1]} `;
    pen = true;
  });
  const line = document.createElementNS(NS, 'path');
  line.setAttribute('d', d.trim());
  line.setAttribute('class', 'spark-line');
  svg.appendChild(line);
  // The latest reading gets a dot, so a single point is visible too.
  const dot = document.createElementNS(NS, 'circle');
  dot.setAttribute('cx', last[0]);
  dot.setAttribute('cy', last[1]);
  dot.setAttribute('r', '2');
  dot.setAttribute('class', 'spark-dot');
  svg.appendChild(dot);
  return svg;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/**
 * Reads one figure from a history point: the web service flattens each scrape's figures to
 * `<group>.<figure>` keys (`chat-api.p95_ms`, `inference.tokens_per_s`, `chat.active_streams`).
 */
export function historyValue(point: Record<string, unknown>, path: string[]): number | null {
  const v = point[path.join('.')];
  return typeof v === 'number' ? v : null;
}
