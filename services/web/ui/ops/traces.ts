/**
 * The recent-traces list: service chips, duration, error marker; a row opens the waterfall.
 * By default it hides housekeeping (scrapes, probes, static assets, the console's own calls:
 * the filter `samosachaat traces` applies, isHousekeepingTrace in packages/observability);
 * "Show housekeeping" shows them. Service, status and duration filters are applied by
 * `/ops/api/traces` before the limit. On a narrow screen each row stacks its cells, labelled.
 */
import { apiJson, type TokenSource } from '../lib/api.js';
import { byId, clear, h } from '../lib/dom.js';
import { clock, ms, serviceClass } from './format.js';
import type { TraceSummary } from './types.js';

interface TracesAnswer {
  traces: TraceSummary[];
  unreachable?: Array<{ service: string; error: string }>;
}

/** A coloured chip naming a service. */
export function serviceChip(service: string): HTMLSpanElement {
  return h('span', { class: `chip ${serviceClass(service)}` }, service);
}

// Filters can change faster than the list loads: only the latest request draws.
let latest = 0;

/** Loads and draws the list. */
export async function showTraces(auth: TokenSource, traceId: string): Promise<void> {
  const call = ++latest;
  const query = new URLSearchParams({ limit: byId<HTMLSelectElement>('traces-limit').value });
  const service = byId<HTMLSelectElement>('traces-service').value;
  const status = byId<HTMLSelectElement>('traces-status').value;
  const minMs = byId<HTMLSelectElement>('traces-min-ms').value;
  if (service) query.set('service', service);
  if (status) query.set('status', status);
  if (minMs !== '0') query.set('min_ms', minMs);
  if (byId<HTMLInputElement>('show-housekeeping').checked) query.set('all', 'true');
  const answer = await apiJson<TracesAnswer>(`/ops/api/traces?${query.toString()}`, { traceId }, auth);
  if (call !== latest) return;
  const body = byId('traces-body');
  clear(body);
  for (const t of answer.traces) {
    const link = h('a', { href: `#/traces/${t.trace_id}`, class: 'trace-row-link', title: t.trace_id }, t.root_name || t.trace_id.slice(0, 12));
    body.appendChild(
      h('tr', { class: t.error ? 'row-error' : null, 'data-trace-id': t.trace_id, role: 'row' },
        h('td', { class: 'mono', role: 'cell', 'data-label': 'Started' }, clock(t.start_time)),
        h('td', { class: 'trace-root', role: 'cell' }, t.error ? h('span', { class: 'badge badge-error', title: 'a span failed' }, 'error') : null, ' ', link),
        h('td', { role: 'cell' }, h('span', { class: 'chips' }, ...t.services.map(serviceChip))),
        h('td', { class: 'num', role: 'cell', 'data-label': 'Spans' }, t.span_count),
        h('td', { class: 'num', role: 'cell', 'data-label': 'Duration' }, ms(t.duration_ms))),
    );
    body.lastElementChild?.addEventListener('click', (ev) => {
      if ((ev.target as Element).closest('a')) return;
      location.hash = `#/traces/${t.trace_id}`;
    });
  }
  byId('traces-empty').hidden = answer.traces.length > 0;
  const note = byId('traces-unreachable');
  const down = answer.unreachable ?? [];
  note.textContent = down.length ? `Not included (unreachable): ${down.map((u) => `${u.service} — ${u.error}`).join('; ')}` : '';
  note.hidden = down.length === 0;
}
