/**
 * Key figures from /ops/api/metrics (computed by the web service from each service's
 * /metrics): per service request rate, error rate and p95 latency; inference time to first
 * token, tokens per second, active generations; chat-api active streams. Each is a number
 * and a sparkline of the last readings, refreshed every 5 s while the section is open.
 */
import { apiJson, type TokenSource } from '../lib/api.js';
import { byId, clear, h } from '../lib/dom.js';
import { ms, num, pct, serviceClass } from './format.js';
import { historyValue, sparkline } from './sparkline.js';
import type { MetricsAnswer } from './types.js';

interface Figure {
  label: string;
  value: number | null;
  text: string;
  path: string[];
}

function card(title: string, cls: string, up: boolean | null, figures: Figure[], history: Array<Record<string, unknown>>): HTMLElement {
  return h('section', { class: `metric-card ${cls}`, 'aria-label': title },
    h('header', { class: 'metric-card-head' },
      h('h2', {}, title),
      up === null ? null : h('span', { class: `badge ${up ? 'badge-ok' : 'badge-error'}` }, up ? 'up' : 'down')),
    h('div', { class: 'figures' }, ...figures.map((f) =>
      h('div', { class: 'figure', 'data-figure': f.path.join('.') },
        h('span', { class: 'figure-label' }, f.label),
        h('span', { class: 'figure-value' }, f.text),
        sparkline(history.map((p) => historyValue(p, f.path)), `${title} ${f.label}`)))));
}

/** Loads and draws the figures once. */
export async function showMetrics(auth: TokenSource, traceId: string): Promise<void> {
  const m = await apiJson<MetricsAnswer>('/ops/api/metrics', { traceId }, auth);
  const root = byId('metrics-services');
  const history = m.history ?? [];
  clear(root);
  const order = ['web', 'chat-api', 'auth', 'inference'];
  const names = Object.keys(m.services).sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  for (const name of names) {
    const s = m.services[name]!;
    root.appendChild(card(name, serviceClass(name), s.up, [
      { label: 'Requests', value: s.request_rate, text: `${num(s.request_rate)} /s`, path: [name, 'request_rate'] },
      { label: 'Errors (5xx)', value: s.error_rate, text: pct(s.error_rate), path: [name, 'error_rate'] },
      { label: 'p95 latency', value: s.p95_ms, text: ms(s.p95_ms), path: [name, 'p95_ms'] },
    ], history));
  }
  root.appendChild(card('Generation', 'svc-inference', null, [
    { label: 'Time to first token p95', value: m.inference.ttft_p95_ms, text: ms(m.inference.ttft_p95_ms), path: ['inference', 'ttft_p95_ms'] },
    { label: 'Tokens per second', value: m.inference.tokens_per_s, text: num(m.inference.tokens_per_s, 1), path: ['inference', 'tokens_per_s'] },
    { label: 'Active generations', value: m.inference.active_generations, text: num(m.inference.active_generations), path: ['inference', 'active_generations'] },
    { label: 'Queue depth', value: m.inference.queue_depth, text: num(m.inference.queue_depth), path: ['inference', 'queue_depth'] },
  ], history));
  root.appendChild(card('Chat streams', 'svc-chat-api', null, [
    { label: 'Active answer streams', value: m.chat.active_streams, text: num(m.chat.active_streams), path: ['chat', 'active_streams'] },
  ], history));
  byId('metrics-at').textContent = m.at
    ? `Updated ${new Date(m.at).toLocaleTimeString([], { hour12: false })}${m.window_s ? ` · rates over the last ${m.window_s} s` : ''} · refreshes every 5 s`
    : `${m.note ?? 'No scrape yet'} · refreshes every 5 s`;
}
