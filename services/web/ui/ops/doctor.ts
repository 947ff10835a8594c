/** Doctor results (the platform checks run by the web service), each failure with its fix. */
import { apiJson, type TokenSource } from '../lib/api.js';
import { byId, clear, h } from '../lib/dom.js';
import type { DoctorResult } from './types.js';

const ORDER: Record<DoctorResult['status'], number> = { failed: 0, skipped: 1, passed: 2 };
const LOOK: Record<DoctorResult['status'], { row: string; badge: string; label: string }> = {
  passed: { row: 'row-ok', badge: 'badge-ok', label: 'ok' },
  failed: { row: 'row-error', badge: 'badge-error', label: 'fail' },
  skipped: { row: 'row-skipped', badge: 'badge-muted', label: 'skipped' },
};

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
    // Failures first: they are what the reader came for; then what was not checked at all.
    for (const r of [...results].sort((a, b) => ORDER[a.status] - ORDER[b.status])) {
      const look = LOOK[r.status];
      body.appendChild(
        h('tr', { class: look.row, 'data-check': r.name, 'data-status': r.status },
          h('th', { scope: 'row', class: 'mono' }, r.name),
          h('td', {}, h('span', { class: `badge ${look.badge}` }, look.label)),
          h('td', {}, r.detail),
          h('td', { class: 'fix' }, r.status === 'failed' ? (r.fix ?? '') : '')),
      );
    }
    const count = (s: DoctorResult['status']) => results.filter((r) => r.status === s).length;
    const [failed, skipped] = [count('failed'), count('skipped')];
    // A skipped check is not a pass: the summary says how many were not checked.
    const verdict = failed ? `${failed} failing` : skipped ? 'none failing' : 'all passing';
    status.textContent = `${results.length} checks, ${verdict}${skipped ? `, ${skipped} skipped` : ''} · ${new Date().toLocaleTimeString([], { hour12: false })}`;
  } finally {
    button.disabled = false;
  }
}
