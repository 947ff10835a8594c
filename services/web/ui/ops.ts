/**
 * The operations console: recent traces and their waterfalls with log lines, key figures with
 * sparklines, and doctor results. Routes live in the hash (#/traces, #/traces/<id>,
 * #/metrics, #/doctor) so a trace link from the chat opens the right waterfall.
 */
import { ApiError, apiJson } from './lib/api.js';
import { byId } from './lib/dom.js';
import { Session } from './lib/session.js';
import { isTraceId, newTraceId } from './lib/trace.js';
import { showDoctor } from './ops/doctor.js';
import { showLogs } from './ops/logs.js';
import { showMetrics } from './ops/metrics.js';
import { showTraces } from './ops/traces.js';
import type { TraceDetail } from './ops/types.js';
import { showWaterfall } from './ops/waterfall.js';

const session = new Session();
const views = ['traces', 'trace', 'metrics', 'doctor'] as const;
type View = (typeof views)[number];
let metricsTimer: ReturnType<typeof setInterval> | undefined;

function show(view: View): void {
  for (const v of views) byId(`view-${v}`).hidden = v !== view;
  for (const tab of ['traces', 'metrics', 'doctor']) {
    const active = tab === view || (tab === 'traces' && view === 'trace');
    byId(`tab-${tab}`).classList.toggle('active', active);
    if (active) byId(`tab-${tab}`).setAttribute('aria-current', 'page');
    else byId(`tab-${tab}`).removeAttribute('aria-current');
  }
}

function fail(err: unknown): void {
  const el = byId('ops-error');
  if (err instanceof ApiError && (err.status === 401 || err.status === 403 || err.code === 'SESSION_EXPIRED')) {
    el.textContent = err.status === 403
      ? 'Access denied: the console is for administrators. Sign in with an address listed in ADMIN_EMAILS.'
      : 'Access denied: sign in (on the chat page) as an administrator to use the console.';
  } else el.textContent = err instanceof Error ? err.message : String(err);
  el.hidden = false;
}

async function openTrace(traceId: string, navTrace: string): Promise<void> {
  show('trace');
  byId('trace-title').textContent = `Trace ${traceId.slice(0, 8)}…`;
  const trace = await apiJson<TraceDetail>(`/ops/api/traces/${traceId}`, { traceId: navTrace }, session);
  showWaterfall(trace);
  await showLogs(session, traceId, navTrace);
}

/** Shows what the hash names; one trace id per navigation. */
async function route(): Promise<void> {
  const navTrace = newTraceId();
  byId('ops-error').hidden = true;
  clearInterval(metricsTimer);
  const hash = location.hash.replace(/^#\/?/, '');
  const [section, id] = hash.split('/');
  try {
    if (section === 'traces' && id) {
      if (!isTraceId(id)) throw new Error(`“${id}” is not a trace id (32 lowercase hex digits).`);
      await openTrace(id, navTrace);
    } else if (section === 'metrics') {
      show('metrics');
      await showMetrics(session, navTrace);
      metricsTimer = setInterval(() => void showMetrics(session, newTraceId()).catch(fail), 5000);
    } else if (section === 'doctor') {
      show('doctor');
      await showDoctor(session, navTrace);
    } else {
      show('traces');
      await showTraces(session, navTrace);
    }
  } catch (err) {
    fail(err);
  }
}

for (const control of ['traces-service', 'traces-status', 'traces-min-ms', 'show-housekeeping']) byId(control).addEventListener('change', () => void showTraces(session, newTraceId()).catch(fail));
byId('traces-limit').addEventListener('change', () => void showTraces(session, newTraceId()).catch(fail));
byId('trace-open').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const id = byId<HTMLInputElement>('trace-open-id').value.trim().toLowerCase();
  location.hash = `#/traces/${id}`;
});
byId('traces-refresh').addEventListener('click', () => void showTraces(session, newTraceId()).catch(fail));
byId('doctor-run').addEventListener('click', () => void showDoctor(session, newTraceId()).catch(fail));
window.addEventListener('hashchange', () => void route());
void route();
