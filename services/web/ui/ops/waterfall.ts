/**
 * One trace as a waterfall: a row per span, placed by start time and duration on a shared
 * time axis, indented under its parent, coloured by service. Choosing a span shows its
 * attributes and events.
 */
import { byId, clear, h } from '../lib/dom.js';
import { clock, ms, serviceClass } from './format.js';
import { serviceChip } from './traces.js';
import type { Span, TraceDetail } from './types.js';

/** Spans in tree order (children after their parent, by start), each with its depth. */
export function treeOrder(spans: Span[]): Array<{ span: Span; depth: number }> {
  const ids = new Set(spans.map((s) => s.span_id));
  const children = new Map<string | null, Span[]>();
  for (const s of spans) {
    // A parent this trace does not hold (another process's buffer was full, or the browser) makes a root.
    const parent = s.parent_span_id && ids.has(s.parent_span_id) ? s.parent_span_id : null;
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const out: Array<{ span: Span; depth: number }> = [];
  const seen = new Set<string>();
  const walk = (parent: string | null, depth: number): void => {
    const kids = (children.get(parent) ?? []).sort((a, b) => a.start_time.localeCompare(b.start_time));
    for (const s of kids) {
      if (seen.has(s.span_id)) continue;
      seen.add(s.span_id);
      out.push({ span: s, depth });
      walk(s.span_id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

/** Draws the summary and the waterfall of `trace`. */
export function showWaterfall(trace: TraceDetail): void {
  const summary = byId('trace-summary');
  const g = trace.generation;
  clear(summary);
  const fact = (label: string, value: string | Node, cls = ''): HTMLElement => h('div', { class: `fact ${cls}` }, h('span', { class: 'fact-label' }, label), h('span', { class: 'fact-value' }, value));
  summary.append(
    fact('Trace id', h('code', {}, trace.trace_id), 'wide'),
    fact('Started', clock(trace.start_time)),
    fact('Duration', ms(trace.duration_ms)),
    fact('Spans', String(trace.spans.length)),
    fact('Services', h('span', { class: 'chips' }, ...trace.services.map(serviceChip)), 'wide'),
  );
  if (g) {
    summary.append(
      fact('Time to first token', ms(g.time_to_first_token_ms), 'gen'),
      fact('Input tokens', g.input_tokens === null ? '—' : String(g.input_tokens), 'gen'),
      fact('Output tokens', g.output_tokens === null ? '—' : String(g.output_tokens), 'gen'),
      fact('Model', g.model ?? '—', 'gen'),
    );
  }

  const start = Date.parse(trace.start_time);
  const total = Math.max(trace.duration_ms, ...trace.spans.map((s) => Date.parse(s.start_time) - start + s.duration_ms), 0.001);
  const container = byId('waterfall');
  clear(container);
  container.appendChild(
    h('div', { class: 'wf-axis', 'aria-hidden': 'true' }, h('span', {}, '0'), h('span', {}, ms(total / 2)), h('span', {}, ms(total))),
  );
  for (const { span, depth } of treeOrder(trace.spans)) {
    const offset = Date.parse(span.start_time) - start;
    const bar = h('span', { class: `wf-bar ${serviceClass(span.service)}${span.status === 'error' ? ' wf-error' : ''}` });
    bar.style.left = `${(Math.max(0, offset) / total) * 100}%`;
    bar.style.width = `${Math.max(0.4, (span.duration_ms / total) * 100)}%`;
    const label = h('span', { class: 'wf-label' }, serviceChip(span.service), h('span', { class: 'wf-name' }, span.name));
    label.style.paddingLeft = `${depth * 14}px`;
    const row = h('button', { type: 'button', class: 'wf-row', role: 'listitem', 'data-service': span.service, 'data-span-id': span.span_id, 'aria-label': `${span.service} ${span.name}, ${ms(span.duration_ms)}${span.status === 'error' ? ', failed' : ''}` },
      label, h('span', { class: 'wf-track' }, bar), h('span', { class: 'wf-duration' }, ms(span.duration_ms)));
    row.addEventListener('click', () => {
      container.querySelectorAll('.wf-row.selected').forEach((r) => r.classList.remove('selected'));
      row.classList.add('selected');
      showSpan(span, start);
    });
    container.appendChild(row);
  }
  byId('span-detail').hidden = true;
}

function value(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function showSpan(span: Span, traceStart: number): void {
  const panel = byId('span-detail');
  clear(panel);
  const rows = Object.entries(span.attributes).sort(([a], [b]) => a.localeCompare(b));
  panel.append(
    h('h3', {}, serviceChip(span.service), ' ', span.name),
    h('p', { class: 'hint' }, `${span.kind} span · starts at +${ms(Date.parse(span.start_time) - traceStart)} · ${ms(span.duration_ms)} · status ${span.status}${span.status_message ? ` (${span.status_message})` : ''} · id ${span.span_id}`),
    h('table', { class: 'kv-table' }, h('caption', {}, 'Attributes'), h('tbody', {}, ...rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', { class: 'mono' }, value(v)))))),
  );
  if (span.events.length) {
    panel.append(
      h('h4', {}, 'Events'),
      h('ul', { class: 'event-list' }, ...span.events.map((e) => h('li', {}, h('span', { class: 'mono' }, `+${ms(Date.parse(e.time) - traceStart)}`), ' ', h('strong', {}, e.name), ' ', h('span', { class: 'mono hint' }, Object.keys(e.attributes).length ? JSON.stringify(e.attributes) : '')))),
    );
  }
  panel.hidden = false;
  panel.focus({ preventScroll: true });
  panel.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
}
