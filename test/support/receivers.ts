/**
 * Local stand-ins for where Alertmanager delivers: a Slack-compatible incoming-webhook server
 * (records each POSTed JSON body) and an SMTP server (records each message). Both listen on
 * 127.0.0.1 on a free port and are closed by `close()`.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { SMTPServer } from 'smtp-server';
import { scaled } from './timeouts.js';

/** Polls `read` until `predicate` holds for one of its items; fails naming `what` and showing what arrived. */
async function waitForItem<T>(read: () => T[], predicate: (item: T) => boolean, what: string, timeoutMs: number, show: (items: T[]) => string): Promise<T> {
  const limitMs = scaled(timeoutMs);
  const deadline = Date.now() + limitMs;
  for (;;) {
    const found = read().find(predicate);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no ${what} after ${Math.round(limitMs / 1000)} s; received so far:\n${show(read())}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** One POST the webhook receiver got. */
export interface WebhookPost {
  path: string;
  body: Record<string, unknown>;
  /** The raw body, for assertions on text wherever the template put it. */
  raw: string;
}

export interface WebhookReceiver {
  /** The URL to configure as Slack's `api_url`. */
  url: string;
  posts(): WebhookPost[];
  waitFor(predicate: (post: WebhookPost) => boolean, what: string, timeoutMs?: number): Promise<WebhookPost>;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (data += c));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

/** A Slack-compatible incoming webhook: answers `ok` like Slack does and keeps every JSON body. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const posts: WebhookPost[] = [];
  const server = createServer((req, res) => {
    void readBody(req).then((raw) => {
      if (req.method !== 'POST') {
        res.writeHead(405).end();
        return;
      }
      try {
        posts.push({ path: req.url ?? '/', body: JSON.parse(raw) as Record<string, unknown>, raw });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      } catch {
        // Slack answers 400 invalid_payload to a body that is not JSON; so do we.
        res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_payload');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/services/T000/B000/local`,
    posts: () => [...posts],
    waitFor: (predicate, what, timeoutMs = 60_000) => waitForItem(() => posts, predicate, what, timeoutMs, (items) => items.map((p) => p.raw).join('\n---\n') || '(nothing)'),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** One message the SMTP receiver accepted. */
export interface MailMessage {
  from: string;
  to: string[];
  subject: string;
  /** Headers and body, with quoted-printable soft breaks and escapes decoded. */
  text: string;
}

export interface SmtpReceiver {
  /** `host:port`, for Alertmanager's `smarthost`. */
  smarthost: string;
  messages(): MailMessage[];
  waitFor(predicate: (message: MailMessage) => boolean, what: string, timeoutMs?: number): Promise<MailMessage>;
  close(): Promise<void>;
}

/** Decodes quoted-printable (soft line breaks and =XX escapes); harmless on plain text. */
export function decodeQuotedPrintable(raw: string): string {
  const bytes = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** An SMTP server without TLS or authentication that keeps every message it is given. */
export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const messages: MailMessage[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => (raw += c));
      stream.on('end', () => {
        const text = decodeQuotedPrintable(raw);
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: /^Subject: (.*)$/m.exec(text)?.[1]?.trim() ?? '',
          text,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as { port: number };
  return {
    smarthost: `127.0.0.1:${port}`,
    messages: () => [...messages],
    waitFor: (predicate, what, timeoutMs = 60_000) =>
      waitForItem(() => messages, predicate, what, timeoutMs, (items) => items.map((m) => `${m.subject} → ${m.to.join(', ')}`).join('\n') || '(nothing)'),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
