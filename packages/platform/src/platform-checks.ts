/**
 * The doctor checks that need the platform (SPEC §7): configuration, JWT keys, database,
 * each service ready, the model loaded, /metrics valid, the recent error rate, Prometheus.
 * Each check probes one thing and says how to fix what it finds.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { isHousekeepingTrace } from '@samosachaat/observability';
import { ConfigError, type CheckOutcome, type DoctorCheck, type DoctorContext } from '@samosachaat/service-kit';
import { portVariableProblems, type ServiceTarget } from './service-ports.js';

type Env = Readonly<Record<string, string | undefined>>;

const NOT_RUNNING_FIX = 'start the platform (`npm start`; with the same WEB_PORT / AUTH_PORT / CHAT_API_PORT / INFERENCE_PORT as here), or point AUTH_URL / CHAT_API_URL / INFERENCE_URL / WEB_URL at where it runs';

async function get(url: string, signal: AbortSignal, headers: Record<string, string> = {}): Promise<{ status: number; text: string; contentType: string }> {
  const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(3000)]), headers });
  return { status: res.status, text: await res.text(), contentType: res.headers.get('content-type') ?? '' };
}

function unreachable(target: ServiceTarget, err: unknown): CheckOutcome {
  const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
  return { ok: false, detail: `${target.name} at ${target.url} is not reachable (${cause})`, fix: NOT_RUNNING_FIX };
}

/** Every service's configuration validates (the same validation the service runs at start). */
export function configurationCheck(validators: Record<string, (env: Env) => unknown>, env: Env): DoctorCheck {
  return {
    name: 'configuration',
    description: 'every service accepts its environment variables',
    run: () => {
      // `npm start` generates INTERNAL_API_KEY per run; judge the rest as the services would.
      const effective: Env = { ...env, INTERNAL_API_KEY: env['INTERNAL_API_KEY'] || 'x'.repeat(43) };
      // The ports `npm start` binds, and where the other commands look for the services.
      const problems: string[] = portVariableProblems(env).map((p) => `start: ${p.message}`);
      for (const [service, validate] of Object.entries(validators)) {
        try {
          validate(effective);
        } catch (err) {
          problems.push(`${service}: ${err instanceof ConfigError ? err.message : (err as Error).message}`);
        }
      }
      if (problems.length) return { ok: false, detail: problems.join('\n'), fix: 'correct the named variables (the README lists every variable with its default)' };
      return { ok: true, detail: `${Object.keys(validators).join(', ')}: configuration valid` };
    },
  };
}

/** GET /ready on each service. */
export function servicesReadyCheck(targets: readonly ServiceTarget[]): DoctorCheck {
  return {
    name: 'services-ready',
    description: 'each service answers /ready',
    run: async (ctx: DoctorContext) => {
      const lines: string[] = [];
      let ok = true;
      let fix: string | undefined;
      for (const t of targets) {
        try {
          const res = await get(`${t.url}/ready`, ctx.signal);
          if (res.status === 200) lines.push(`${t.name}: ready`);
          else {
            ok = false;
            fix ??= `look at ${t.name}'s log lines for the failing readiness check named here`;
            lines.push(`${t.name}: not ready (${res.status} ${res.text.slice(0, 200)})`);
          }
        } catch (err) {
          ok = false;
          fix = NOT_RUNNING_FIX;
          lines.push(unreachable(t, err).detail);
        }
      }
      return { ok, detail: lines.join('\n'), fix };
    },
  };
}

/** inference /health says a model is loaded. */
export function modelLoadedCheck(inference: ServiceTarget): DoctorCheck {
  return {
    name: 'model-loaded',
    description: 'inference has a model loaded',
    run: async (ctx) => {
      try {
        const res = await get(`${inference.url}/health`, ctx.signal);
        const body = JSON.parse(res.text) as { ready?: boolean; current_model?: string | null; dependencies?: Record<string, { ok: boolean | null; detail: string }> };
        // An upstream model server (ENGINE=openai) must also be reachable, accept the key and
        // list the model: inference's background probe says which of the three failed.
        const upstream = body.dependencies?.['upstream'];
        if (upstream?.ok === false) return { ok: false, detail: `model ${body.current_model ?? '(none)'}: upstream ${upstream.detail}`, fix: 'fix the upstream model server or the variable named above (OPENAI_BASE_URL, OPENAI_API_KEY, OPENAI_MODEL), then wait up to 15 s for the next probe' };
        if (body.ready && body.current_model) return { ok: true, detail: `model ${body.current_model} loaded${upstream?.ok ? ` (${upstream.detail})` : ''}` };
        return { ok: false, detail: `no model loaded (${res.text.slice(0, 200)})`, fix: 'check inference logs for model_load_failed; ENGINE and the engine variables must name a model it can load' };
      } catch (err) {
        return unreachable(inference, err);
      }
    },
  };
}

/** Finds an executable on PATH. */
export function which(binary: string, env: Env): string | undefined {
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, binary))) return join(dir, binary);
  }
  return undefined;
}

/** `promtool check metrics` on a text, resolving with its verdict. */
export function promtoolCheck(promtool: string, text: string, signal: AbortSignal): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(promtool, ['check', 'metrics'], { signal, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ ok: code === 0, output: output.trim() }));
    child.stdin.end(text);
  });
}

const SAMPLE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? -?(\d+(\.\d+)?([eE][-+]?\d+)?|NaN|\+Inf|-Inf)( \d+)?$/;

/** A structural check of the Prometheus text format, for machines without promtool. */
export function basicExpositionProblems(text: string): string[] {
  const problems: string[] = [];
  const typed = new Set<string>();
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '') continue;
    if (line.startsWith('# TYPE ')) typed.add(line.split(' ')[2] ?? '');
    else if (line.startsWith('#')) continue;
    else if (!SAMPLE.test(line)) problems.push(`line ${i + 1}: not a valid sample: ${line.slice(0, 120)}`);
  }
  if (typed.size === 0) problems.push('no # TYPE lines');
  if (!text.includes('service="')) problems.push('no series carries the service label');
  return problems.slice(0, 5);
}

/** Each service's /metrics is valid exposition text (promtool when installed). */
export function metricsValidCheck(targets: readonly ServiceTarget[], env: Env): DoctorCheck {
  return {
    name: 'metrics-valid',
    description: "each service's /metrics passes promtool check metrics (or a structural check without promtool)",
    run: async (ctx) => {
      const promtool = which('promtool', env);
      const lines: string[] = [];
      let ok = true;
      let fix: string | undefined;
      for (const t of targets) {
        let text: string;
        try {
          const res = await get(`${t.url}/metrics`, ctx.signal);
          if (res.status !== 200) {
            ok = false;
            fix ??= 'METRICS_ENABLED=false turns metrics off; enable them, or look at the service log';
            lines.push(`${t.name}: /metrics answered ${res.status}`);
            continue;
          }
          text = res.text;
        } catch (err) {
          ok = false;
          fix = NOT_RUNNING_FIX;
          lines.push(unreachable(t, err).detail);
          continue;
        }
        if (promtool) {
          const verdict = await promtoolCheck(promtool, text, ctx.signal);
          if (verdict.ok) lines.push(`${t.name}: valid (promtool)`);
          else {
            ok = false;
            fix ??= 'a metric breaks the exposition format: the promtool output names it; report it as a bug';
            lines.push(`${t.name}: promtool: ${verdict.output.split('\n').slice(0, 3).join('; ')}`);
          }
        } else {
          const problems = basicExpositionProblems(text);
          if (problems.length === 0) lines.push(`${t.name}: valid (structural check; install promtool for the full one)`);
          else {
            ok = false;
            fix ??= 'a metric breaks the exposition format: report it as a bug';
            lines.push(`${t.name}: ${problems.join('; ')}`);
          }
        }
      }
      return { ok, detail: lines.join('\n'), fix };
    },
  };
}

/** What /debug/traces returns per trace (the ring buffer's TraceRecord), as far as this check reads it. */
interface TraceSummary {
  trace_id: string;
  root_name: string;
  error: boolean;
}

/**
 * Share of errored traces among each service's last 100 requests (from /debug/traces), not
 * counting scrapes, probes and trace reads: they would dilute the share of failed requests.
 */
export function traceErrorRateCheck(targets: readonly ServiceTarget[], env: Env, maxShare = 0.2): DoctorCheck {
  return {
    name: 'trace-error-rate',
    description: `under ${Math.round(maxShare * 100)} % of each service's last 100 traces (scrapes and probes aside) ended in an error`,
    run: async (ctx) => {
      const key = env['INTERNAL_API_KEY']?.trim();
      const headers: Record<string, string> = key ? { 'x-internal-api-key': key } : {};
      const lines: string[] = [];
      let ok = true;
      let fix: string | undefined;
      for (const t of targets) {
        try {
          const res = await get(`${t.url}/debug/traces?limit=500`, ctx.signal, headers);
          if (res.status !== 200) {
            ok = false;
            fix ??= 'outside local mode /debug/traces needs INTERNAL_API_KEY in the doctor\'s environment';
            lines.push(`${t.name}: /debug/traces answered ${res.status}`);
            continue;
          }
          const body = JSON.parse(res.text) as { traces?: TraceSummary[] };
          const traces = (body.traces ?? []).filter((trace) => !isHousekeepingTrace(trace)).slice(0, 100);
          const failed = traces.filter((trace) => trace.error).length;
          const share = traces.length ? failed / traces.length : 0;
          lines.push(`${t.name}: ${failed} of the last ${traces.length} traces failed (${(share * 100).toFixed(0)} %)`);
          if (share >= maxShare) {
            ok = false;
            fix ??= `open the failing traces: GET ${t.url}/debug/traces?errors=true, then follow their trace_id in the logs`;
          }
        } catch (err) {
          ok = false;
          fix = NOT_RUNNING_FIX;
          lines.push(unreachable(t, err).detail);
        }
      }
      return { ok, detail: lines.join('\n'), fix };
    },
  };
}

/** When PROMETHEUS_URL is set: Prometheus answers and every active target is up. */
export function prometheusTargetsCheck(env: Env): DoctorCheck {
  return {
    name: 'prometheus-targets',
    description: 'Prometheus is reachable and every target is up (when PROMETHEUS_URL is set)',
    run: async (ctx) => {
      const base = env['PROMETHEUS_URL']?.trim();
      if (!base) return { ok: true, skipped: true, detail: 'PROMETHEUS_URL is not set' };
      let body: { data?: { activeTargets?: Array<{ health: string; scrapeUrl: string; lastError?: string; labels?: Record<string, string> }> } };
      try {
        const res = await get(`${base.replace(/\/$/, '')}/api/v1/targets?state=active`, ctx.signal);
        if (res.status !== 200) return { ok: false, detail: `Prometheus answered ${res.status}`, fix: 'check PROMETHEUS_URL points at the Prometheus server (not Grafana)' };
        body = JSON.parse(res.text) as typeof body;
      } catch (err) {
        return { ok: false, detail: `Prometheus at ${base} is not reachable (${(err as Error).message})`, fix: 'start Prometheus or correct PROMETHEUS_URL' };
      }
      const targets = body.data?.activeTargets ?? [];
      const down = targets.filter((t) => t.health !== 'up');
      if (targets.length === 0) return { ok: false, detail: 'Prometheus has no active targets', fix: 'load deploy/prometheus/prometheus.yml (scrape configuration for the services)' };
      if (down.length) {
        return {
          ok: false,
          detail: down.map((t) => `${t.labels?.['job'] ?? '?'} ${t.scrapeUrl}: ${t.health}${t.lastError ? ` (${t.lastError})` : ''}`).join('\n'),
          fix: 'start the services that are down, or correct their addresses in the scrape configuration',
        };
      }
      return { ok: true, detail: `${targets.length} targets up` };
    },
  };
}
