/**
 * Key figures from /ops/api/metrics (computed by the web service from each service's
 * /metrics): per service request rate, error rate and p95 latency; inference time to first
 * token, tokens per second, active generations; chat-api active streams; the answer SLIs
 * (success, budget burn, first token within 2.5 s) and what lies behind each service. Each is a number
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

function card(title: string, cls: string, up: boolean | null, figures: Figure[], history: Array<Record<string, unknown>>, extra: HTMLElement | null = null): HTMLElement {
  return h('section', { class: `metric-card ${cls}`, 'aria-label': title },
    h('header', { class: 'metric-card-head' },
      h('h2', {}, title),
      up === null ? null : h('span', { class: `badge ${up ? 'badge-ok' : 'badge-error'}` }, up ? 'up' : 'down')),
    extra,
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
    // What lies behind the service, as its own background probe last saw it (/health).
    const deps = Object.entries(s.dependencies ?? {});
    const behind = deps.length === 0 ? null : h('p', { class: 'dependencies', 'data-dependencies': name },
      'behind it: ', ...deps.map(([dep, ok]) => h('span', { class: `badge ${ok ? 'badge-ok' : 'badge-error'}`, title: ok ? `${dep} answers` : `${dep} does not answer ${name}` }, `${dep} ${ok ? 'up' : 'down'}`)));
    root.appendChild(card(name, serviceClass(name), s.up, [
      { label: 'Requests', value: s.request_rate, text: `${num(s.request_rate)} /s`, path: [name, 'request_rate'] },
      { label: 'Errors (5xx)', value: s.error_rate, text: pct(s.error_rate), path: [name, 'error_rate'] },
      { label: 'p95 latency', value: s.p95_ms, text: ms(s.p95_ms), path: [name, 'p95_ms'] },
    ], history, behind));
  }
  const a = m.answers;
  root.appendChild(card('Answers (SLOs)', 'svc-chat-api', null, [
    { label: 'Answer success (SLO 99 %)', value: a.success_ratio, text: pct(a.success_ratio), path: ['answers', 'success_ratio'] },
    { label: 'Error budget burn (1 = on budget)', value: a.burn_rate, text: a.burn_rate === null ? '–' : `${num(a.burn_rate, 1)}×`, path: ['answers', 'burn_rate'] },
    { label: 'First token ≤ 2.5 s (SLO 95 %)', value: a.ttft_within_slo, text: pct(a.ttft_within_slo), path: ['answers', 'ttft_within_slo'] },
    { label: 'Time to first token p95', value: a.ttft_p95_ms, text: ms(a.ttft_p95_ms), path: ['answers', 'ttft_p95_ms'] },
    { label: 'Answers', value: a.rate, text: `${num(a.rate)} /s`, path: ['answers', 'rate'] },
  ], history, a.top_failure ? h('p', { class: 'top-failure' }, `Most failed answers: ${a.top_failure}`) : null));
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
