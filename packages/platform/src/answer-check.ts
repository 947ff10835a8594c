/**
 * The doctor's end-to-end check: one tiny real answer, asked the way the chat page asks it.
 * A development user (`doctor@samosachaat.local`) signs a token with the platform's own JWT
 * key, creates a conversation in chat-api, sends a short question (at most 8 tokens of answer),
 * reads the stream to its end, and deletes the conversation again. It reports the time to the
 * first token as the user would see it, and when anything on the way fails it names the hop.
 */
import type { CheckOutcome, DoctorCheck, DoctorContext } from '@samosachaat/service-kit';
import type { ServiceTarget } from './service-ports.js';

/** A signed access token for the doctor's user, or why there is none. */
export type DoctorToken = { token: string } | { skipped: string };

const QUESTION = 'Reply with one word: ok';
const DOCTOR_TITLE = 'samosachaat doctor (deleted after the check)';

interface Answer {
  firstTokenMs: number | undefined;
  totalMs: number;
  tokens: number;
  error: string | undefined;
  done: boolean;
}

async function readAnswer(res: Response, started: number): Promise<Answer> {
  const answer: Answer = { firstTokenMs: undefined, totalMs: 0, tokens: 0, error: undefined, done: false };
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      for (const line of event.split('\n')) {
        if (!line.startsWith('data:')) continue;
        const data = JSON.parse(line.slice(5).trim()) as { token?: string; error?: string; done?: boolean };
        if (typeof data.token === 'string') {
          answer.tokens++;
          answer.firstTokenMs ??= Math.round(performance.now() - started);
        }
        if (typeof data.error === 'string') answer.error = data.error;
        if (data.done === true) answer.done = true;
      }
    }
  }
  answer.totalMs = Math.round(performance.now() - started);
  return answer;
}

async function call(url: string, init: RequestInit, signal: AbortSignal): Promise<Response> {
  return fetch(url, { ...init, signal });
}

function refused(step: string, status: number, body: string): CheckOutcome {
  const detail = `${step}: chat-api answered ${status} ${body.slice(0, 200)}`;
  if (status === 401) return { ok: false, detail, fix: 'chat-api does not accept tokens signed with this JWT key: give the doctor the JWT_PRIVATE_KEY_PATH auth uses' };
  if (status === 503) return { ok: false, detail, fix: 'a service behind chat-api is unavailable: run `samosachaat doctor services-ready model-loaded database` for which one' };
  return { ok: false, detail, fix: "look at chat-api's log lines for this request (`samosachaat logs --service chat-api --level warning --since 5m`)" };
}

/** `answer`: one tiny real answer through chat-api and inference, with its time to first token. */
export function answerCheck(chatApi: ServiceTarget, signIn: () => Promise<DoctorToken>): DoctorCheck {
  return {
    name: 'answer',
    description: 'one tiny real answer end to end (chat-api → inference), with its time to first token',
    run: async (ctx: DoctorContext): Promise<CheckOutcome> => {
      const signed = await signIn();
      if ('skipped' in signed) return { ok: true, skipped: true, detail: signed.skipped };
      const headers = { authorization: `Bearer ${signed.token}`, 'content-type': 'application/json' };
      let created: Response;
      try {
        created = await call(`${chatApi.url}/api/conversations`, { method: 'POST', headers, body: JSON.stringify({ title: DOCTOR_TITLE }) }, ctx.signal);
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
        return { ok: false, detail: `chat-api at ${chatApi.url} is not reachable (${cause})`, fix: 'start the platform (`npm start`), or point CHAT_API_URL / CHAT_API_PORT at where it runs' };
      }
      if (created.status !== 201 && created.status !== 200) return refused('creating a conversation', created.status, await created.text());
      const { id } = (await created.json()) as { id: string };
      try {
        const started = performance.now();
        const sent = await call(`${chatApi.url}/api/conversations/${encodeURIComponent(id)}/messages`, { method: 'POST', headers, body: JSON.stringify({ content: QUESTION, max_tokens: 8 }) }, ctx.signal);
        if (sent.status !== 200) return refused('sending a message', sent.status, await sent.text());
        const answer = await readAnswer(sent, started);
        if (answer.error) return { ok: false, detail: `the answer failed after ${answer.tokens} token(s): ${answer.error}`, fix: 'run `samosachaat doctor model-loaded`, then look at inference\'s log lines (`samosachaat logs --service inference --level warning --since 5m`)' };
        if (!answer.done || answer.tokens === 0) return { ok: false, detail: `the answer ended without ${answer.tokens === 0 ? 'any token' : 'its done event'} after ${answer.totalMs} ms`, fix: "look at chat-api's and inference's log lines (`samosachaat logs --level warning --since 5m`)" };
        return { ok: true, detail: `answered through chat-api and inference: first token after ${answer.firstTokenMs} ms, ${answer.tokens} tokens in ${answer.totalMs} ms` };
      } finally {
        // The doctor leaves nothing behind in the doctor user's list.
        await call(`${chatApi.url}/api/conversations/${encodeURIComponent(id)}`, { method: 'DELETE', headers: { authorization: headers.authorization } }, AbortSignal.timeout(3000)).catch(() => undefined);
      }
    },
  };
}
