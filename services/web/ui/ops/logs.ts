/** The log lines of one trace, across services, in time order (from LOG_DIR via /ops/api/logs). */
import { apiJson, type TokenSource } from '../lib/api.js';
import { byId, clear, h } from '../lib/dom.js';
import { clock } from './format.js';
import { serviceChip } from './traces.js';

interface LogsAnswer {
  lines: Array<Record<string, unknown>>;
  note?: string;
}

// Shown in their own columns, or the same on every line of the trace.
const HIDDEN = new Set(['timestamp', 'service', 'level', 'message', 'trace_id']);

/** Loads and draws the log lines of `traceId`. */
export async function showLogs(auth: TokenSource, traceId: string, navTrace: string): Promise<void> {
  const answer = await apiJson<LogsAnswer>(`/ops/api/logs?trace=${traceId}&limit=500`, { traceId: navTrace }, auth);
  const body = byId('logs-body');
  clear(body);
  for (const line of answer.lines) {
    const level = String(line['level'] ?? '');
    const fields = Object.entries(line).filter(([k]) => !HIDDEN.has(k));
    body.appendChild(
      h('tr', { class: `log-${level}`, 'data-service': String(line['service'] ?? '') },
        h('td', { class: 'mono nowrap' }, clock(String(line['timestamp'] ?? ''))),
        h('td', {}, serviceChip(String(line['service'] ?? '?'))),
        h('td', {}, h('span', { class: `level level-${level}` }, level)),
        h('td', { class: 'mono' }, String(line['message'] ?? '')),
        h('td', { class: 'mono fields' }, fields.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join('  '))),
    );
  }
  const note = byId('logs-note');
  note.textContent = answer.note ?? (answer.lines.length ? '' : 'No log lines carry this trace id (yet): lines are written as requests finish.');
  note.hidden = !note.textContent;
}
