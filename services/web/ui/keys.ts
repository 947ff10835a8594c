/**
 * The API-keys page (README "Use the API"): create a key (shown once), list the user's keys
 * with their usage, revoke one. Keys belong to auth (`/auth/keys`), usage to chat-api
 * (`/api/keys/usage`); the page joins them by key id. A key's text never leaves this page's
 * memory except into the read-only field it is shown in.
 */
import { ApiError, apiJson } from './lib/api.js';
import { ago, byId, clear, h } from './lib/dom.js';
import { Session } from './lib/session.js';

interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
}

interface KeyUsage {
  key_id: string;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  last_used_at: string;
}

const session = new Session();
const ui = {
  email: byId('user-email'),
  notice: byId('keys-notice'),
  signedOut: byId('keys-signed-out'),
  form: byId<HTMLFormElement>('create-key'),
  name: byId<HTMLInputElement>('key-name'),
  newKey: byId('new-key'),
  newKeyValue: byId<HTMLInputElement>('new-key-value'),
  copy: byId<HTMLButtonElement>('copy-key'),
  example: byId('key-example'),
  table: byId('key-table'),
  rows: byId('key-rows'),
  empty: byId('keys-empty'),
  base: byId('api-base'),
};
const apiBase = `${location.origin}/v1`;

function say(err: unknown): void {
  ui.notice.textContent = err instanceof Error ? err.message : String(err);
  ui.notice.hidden = false;
}

function revokeButton(key: ApiKey): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'ghost-button', 'aria-label': `Revoke ${key.name}` }, 'Revoke');
  let armed = false;
  button.addEventListener('click', () => {
    // Two clicks: a revoked key stops working for every program that holds it.
    if (!armed) {
      armed = true;
      button.textContent = 'Really revoke?';
      return;
    }
    button.disabled = true;
    apiJson(`/auth/keys/${encodeURIComponent(key.id)}`, { method: 'DELETE' }, session).then(load, (err: unknown) => {
      button.disabled = false;
      say(err);
    });
  });
  return button;
}

async function load(): Promise<void> {
  const [{ keys }, { usage }] = await Promise.all([apiJson<{ keys: ApiKey[] }>('/auth/keys', {}, session), apiJson<{ usage: KeyUsage[] }>('/api/keys/usage', {}, session)]);
  const byKey = new Map(usage.map((u) => [u.key_id, u]));
  clear(ui.rows);
  for (const key of keys) {
    const used = byKey.get(key.id);
    ui.rows.append(
      h(
        'tr',
        { 'data-key-id': key.id },
        h('td', {}, key.name),
        h('td', {}, h('code', {}, `${key.prefix}…`)),
        h('td', { title: key.created_at }, ago(key.created_at)),
        h('td', used ? { title: used.last_used_at } : {}, used ? ago(used.last_used_at) : 'never'),
        h('td', { class: 'key-requests' }, String(used?.requests ?? 0)),
        h('td', {}, `${used?.prompt_tokens ?? 0} / ${used?.completion_tokens ?? 0}`),
        h('td', {}, revokeButton(key)),
      ),
    );
  }
  ui.table.hidden = keys.length === 0;
  ui.empty.hidden = keys.length > 0;
}

async function create(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const name = ui.name.value.trim();
  const created = await apiJson<ApiKey & { key: string }>('/auth/keys', { method: 'POST', body: name ? { name } : {} }, session);
  ui.name.value = '';
  ui.newKeyValue.value = created.key;
  ui.example.textContent = `import OpenAI from 'openai';\nconst client = new OpenAI({ baseURL: '${apiBase}', apiKey: process.env.SAMOSACHAAT_API_KEY });`;
  ui.newKey.hidden = false;
  ui.newKeyValue.select();
  await load();
}

async function start(): Promise<void> {
  ui.base.textContent = apiBase;
  if (!session.token() && !(session.mayRefresh() && (await session.refresh()))) {
    ui.signedOut.hidden = false;
    return;
  }
  ui.email.textContent = session.user()?.email ?? '';
  ui.form.hidden = false;
  ui.form.addEventListener('submit', (e) => void create(e).catch(say));
  ui.copy.addEventListener('click', () => void navigator.clipboard?.writeText(ui.newKeyValue.value).catch(() => ui.newKeyValue.select()));
  await load();
}

start().catch((err: unknown) => {
  if (err instanceof ApiError && err.code === 'SESSION_EXPIRED') {
    session.clear();
    ui.signedOut.hidden = false;
    return;
  }
  say(err);
});
