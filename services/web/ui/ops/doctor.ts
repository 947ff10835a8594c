/** Doctor results (the platform checks run by the web service), each failure with its fix. */
import { apiJson, type TokenSource } from '../lib/api.js';
import { byId, clear, h } from '../lib/dom.js';
import type { DoctorResult } from './types.js';

/** Runs the checks and draws the table. */
export async function showDoctor(auth: TokenSource, traceId: string): Promise<void> {
  const status = byId('doctor-status');
  const button = byId<HTMLButtonElement>('doctor-run');
  status.textContent = 'Running the checks…';
  button.disabled = true;
  try {
    const { results } = await apiJson<{ results: DoctorResult[] }>('/ops/api/doctor', { traceId }, auth);
    const body = byId('doctor-body');
    clear(body);
    // Failures first: they are what the reader came for.
    for (const r of [...results].sort((a, b) => Number(a.ok) - Number(b.ok))) {
      body.appendChild(
        h('tr', { class: r.ok ? 'row-ok' : 'row-error', 'data-check': r.name },
          h('th', { scope: 'row', class: 'mono' }, r.name),
          h('td', {}, h('span', { class: `badge ${r.ok ? 'badge-ok' : 'badge-error'}` }, r.ok ? 'ok' : 'fail')),
          h('td', {}, r.detail),
          h('td', { class: 'fix' }, r.ok ? '' : (r.fix ?? ''))),
      );
    }
    const failed = results.filter((r) => !r.ok).length;
    status.textContent = `${results.length} checks, ${failed ? `${failed} failing` : 'all passing'} · ${new Date().toLocaleTimeString([], { hour12: false })}`;
  } finally {
    button.disabled = false;
  }
}
