/**
 * What the monitoring proof's outages need: sends kept going through an outage (each one's
 * status, error code and Retry-After recorded), the ops console's answer-success figure, and
 * the doctor's verdict.
 */
import { runCli } from './platform.js';

/** One send, as the client saw it. */
export interface SendSeen {
  status: number;
  /** The error envelope's code, for an error answer. */
  code: string | undefined;
  retryAfter: string | null;
  at: number;
}

/** Sends kept going in the background until stopped. */
export interface SendLoop {
  readonly seen: SendSeen[];
  stop(): Promise<void>;
}

/** Creates a conversation for `token` and returns its id. */
export async function newConversation(chatUrl: string, token: string): Promise<string> {
  const res = await fetch(`${chatUrl}/api/conversations`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
  if (res.status !== 201) throw new Error(`creating a conversation answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/** One send, read to its end (a stream to its last event, an error to its envelope). */
export async function sendOnce(chatUrl: string, token: string, conversationId: string, content: string): Promise<SendSeen> {
  const res = await fetch(`${chatUrl}/api/conversations/${conversationId}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ content }),
  });
  const text = await res.text();
  let code: string | undefined;
  if (res.status >= 400) {
    try {
      code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
    } catch {
      code = `(not the envelope: ${text.slice(0, 80)})`;
    }
  }
  return { status: res.status, code, retryAfter: res.headers.get('retry-after'), at: Date.now() };
}

/** Sends a message every `everyMs` (one at a time) until stopped; each new conversation every 20 sends keeps histories short. */
export function startSendLoop(chatUrl: string, token: string, everyMs = 500): SendLoop {
  const seen: SendSeen[] = [];
  let stopped = false;
  const running = (async () => {
    let conversationId = await newConversation(chatUrl, token);
    for (let i = 1; !stopped; i++) {
      seen.push(await sendOnce(chatUrl, token, conversationId, `outage probe ${i}`).catch((err: Error) => ({ status: 0, code: `fetch failed: ${err.message}`, retryAfter: null, at: Date.now() })));
      if (i % 20 === 0) conversationId = await newConversation(chatUrl, token);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    seen,
    async stop() {
      stopped = true;
      // A loop that could not even create its conversation shows as no sends at all.
      await running.catch(() => undefined);
    },
  };
}

/** The ops console's answer-success ratio over its window (GET /ops/api/metrics), null when it has none. */
export async function consoleAnswerSuccess(webUrl: string): Promise<number | null> {
  const res = await fetch(`${webUrl}/ops/api/metrics`);
  if (!res.ok) throw new Error(`GET /ops/api/metrics answered ${res.status}: ${await res.text()}`);
  const view = (await res.json()) as { answers?: { success_ratio?: number | null } };
  return view.answers?.success_ratio ?? null;
}

/** A doctor check as `doctor --json` reports it. */
export interface DoctorCheck {
  name: string;
  status: string;
  ok: boolean | null;
  detail: string;
  fix: string | null;
}

/** Runs `samosachaat doctor --json <checks>` against the platform found with `env`; its exit status and the checks that did not pass. */
export async function runDoctor(env: Record<string, string>, checks: string[]): Promise<{ status: number | null; failed: DoctorCheck[]; stderr: string }> {
  const { status, stdout, stderr } = await runCli(['doctor', '--json', ...checks], env);
  let report: { checks: DoctorCheck[] };
  try {
    report = JSON.parse(stdout) as { checks: DoctorCheck[] };
  } catch {
    throw new Error(`doctor --json printed no report (exit ${status}): ${stdout.slice(0, 500)} ${stderr.slice(0, 500)}`);
  }
  return { status, failed: report.checks.filter((c) => c.status !== 'passed'), stderr };
}
