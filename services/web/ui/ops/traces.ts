/** The recent-traces list: service chips, duration, error marker; a row opens the waterfall. */
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

/** Loads and draws the list. */
export async function showTraces(auth: TokenSource, traceId: string): Promise<void> {
  const errorsOnly = byId<HTMLInputElement>('errors-only').checked;
  const limit = byId<HTMLSelectElement>('traces-limit').value;
  const answer = await apiJson<TracesAnswer>(`/ops/api/traces?limit=${encodeURIComponent(limit)}${errorsOnly ? '&errors=true' : ''}`, { traceId }, auth);
  const body = byId('traces-body');
  clear(body);
  for (const t of answer.traces) {
    const link = h('a', { href: `#/traces/${t.trace_id}`, class: 'trace-row-link', title: t.trace_id }, t.root_name || t.trace_id.slice(0, 12));
    body.appendChild(
      h('tr', { class: t.error ? 'row-error' : null, 'data-trace-id': t.trace_id },
        h('td', { class: 'mono' }, clock(t.start_time)),
        h('td', {}, t.error ? h('span', { class: 'badge badge-error', title: 'a span failed' }, 'error') : null, ' ', link),
        h('td', {}, h('span', { class: 'chips' }, ...t.services.map(serviceChip))),
        h('td', { class: 'num' }, t.span_count),
        h('td', { class: 'num' }, ms(t.duration_ms))),
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
