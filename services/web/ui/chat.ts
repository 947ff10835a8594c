/**
 * The chat page: routing (/, /c/:id, /login, /auth/complete, /auth/error), sign-in state, the
 * conversation list, the open conversation and the composer. A new trace id is minted for
 * each navigation and each user action, so every call can be found in the console.
 */
import { ApiError, apiJson } from './lib/api.js';
import { byId, icon, ICONS } from './lib/dom.js';
import { conversationApiPath, conversationIdFromPath, conversationPagePath } from './lib/ids.js';
import { Session } from './lib/session.js';
import { newTraceId } from './lib/trace.js';
import { Answers } from './chat/answers.js';
import { ConversationList } from './chat/conversation-list.js';
import { reasonText, showSignIn } from './chat/sign-in.js';
import { Thread } from './chat/thread.js';
import { plainTitle } from './chat/titles.js';
import type { Conversation, ConversationWithMessages } from './chat/types.js';

const session = new Session();
const thread = new Thread();
const ui = {
  signIn: byId('sign-in'),
  workspace: byId('workspace'),
  email: byId('user-email'),
  signOut: byId<HTMLButtonElement>('sign-out'),
  title: byId('thread-title'),
  banner: byId('banner'),
  bannerText: byId('banner-text'),
  bannerAction: byId<HTMLButtonElement>('banner-action'),
  composer: byId<HTMLFormElement>('composer'),
  input: byId<HTMLTextAreaElement>('composer-input'),
  send: byId<HTMLButtonElement>('send'),
  stop: byId<HTMLButtonElement>('stop'),
  regenerate: byId<HTMLButtonElement>('regenerate'),
  toggle: byId<HTMLButtonElement>('sidebar-toggle'),
  scrim: byId('sidebar-scrim'),
  dialog: byId<HTMLDialogElement>('confirm-dialog'),
};

let currentId: string | null = null;
let listLoaded = false;

function fail(err: unknown, retry?: { label: string; run: () => void }): void {
  if (err instanceof ApiError && err.code === 'SESSION_EXPIRED') return sessionExpired();
  ui.bannerText.textContent = err instanceof Error ? err.message : String(err);
  ui.bannerAction.hidden = !retry;
  ui.bannerAction.textContent = retry?.label ?? '';
  ui.bannerAction.onclick = retry ? () => (hideBanner(), retry.run()) : null;
  ui.banner.hidden = false;
}

function showTitle(title: string | null): void {
  ui.title.textContent = plainTitle(title);
  document.title = `${plainTitle(title)} · samosaChaat`;
}

function hideBanner(): void {
  ui.banner.hidden = true;
}

function sessionExpired(): void {
  session.clear();
  listLoaded = false;
  void signInView('Your session has expired — sign in again.');
}

function confirmDialog(text: string): Promise<boolean> {
  byId('confirm-text').textContent = text;
  ui.dialog.returnValue = '';
  ui.dialog.showModal();
  byId('confirm-ok').focus();
  return new Promise((resolve) => ui.dialog.addEventListener('close', () => resolve(ui.dialog.returnValue === 'confirm'), { once: true }));
}

const list = new ConversationList({
  auth: session,
  currentId: () => currentId,
  open: (id) => navigate(id ? conversationPagePath(id) : '/'),
  changed: (c) => showTitle(c.title),
  fail,
  confirm: confirmDialog,
});

const answers = new Answers({
  auth: session,
  thread,
  fail,
  sessionExpired,
  streamingChanged: () => updateButtons(),
  answered: (id) =>
    void list
      .reload()
      .then(() => {
        // The first message titles a new conversation.
        const c = id === currentId ? list.get(id) : undefined;
        if (c) showTitle(c.title);
      })
      .catch(fail),
});

function updateButtons(): void {
  const streaming = answers.streaming;
  const stopHadFocus = document.activeElement === ui.stop;
  ui.stop.hidden = !streaming;
  ui.send.disabled = streaming;
  ui.regenerate.hidden = streaming || !currentId || !thread.lastAnswer();
  // A button that disappears under the keyboard focus hands it to the message box.
  if (!streaming && stopHadFocus) ui.input.focus();
}

function setSidebar(open: boolean): void {
  document.body.classList.toggle('sidebar-open', open);
  ui.toggle.setAttribute('aria-expanded', String(open));
  ui.scrim.hidden = !open;
  if (open) byId('new-chat').focus();
}

/** Changes the URL (history entry) and shows what it names. */
function navigate(path: string): void {
  if (location.pathname !== path) history.pushState(null, '', path);
  void route();
}

async function signInView(notice: string | null): Promise<void> {
  ui.workspace.hidden = true;
  ui.signIn.hidden = false;
  ui.signOut.hidden = true;
  ui.email.textContent = '';
  await showSignIn(session, newTraceId(), notice, () => {
    if (['/login', '/auth/complete', '/auth/error'].includes(location.pathname)) history.replaceState(null, '', '/');
    void route();
  });
}

/** Shows the page the URL names; one trace id per navigation. */
async function route(): Promise<void> {
  const traceId = newTraceId();
  const path = location.pathname;
  hideBanner();
  if (path === '/auth/error') {
    const reason = new URLSearchParams(location.search).get('reason') ?? 'unknown';
    return signInView(`Sign-in failed: ${reasonText(reason)}`);
  }
  // After an OAuth sign-in the refresh cookie is new; otherwise only try when one may exist.
  const canRefresh = path === '/auth/complete' || session.mayRefresh();
  if (!session.token() && !(canRefresh && (await session.refresh()))) {
    return signInView(path === '/auth/complete' ? 'Sign-in could not be completed. Try again.' : null);
  }
  if (path === '/auth/complete' || path === '/login') history.replaceState(null, '', '/');
  ui.signIn.hidden = true;
  ui.workspace.hidden = false;
  ui.signOut.hidden = false;
  ui.email.textContent = session.user()?.email ?? '';
  // Only a UUID is ever put into an API path; anything else under /c/ is "not found".
  const named = conversationIdFromPath(location.pathname);
  const invalidLink = named === 'invalid';
  const nextId = invalidLink ? null : named;
  // Leaving a conversation mid-answer: stop reading it (chat-api still saves the answer).
  if (answers.streaming && nextId !== currentId) answers.disconnect();
  currentId = nextId;
  setSidebar(false);
  try {
    if (!listLoaded) {
      await list.reload(traceId);
      listLoaded = true;
    } else list.render();
    if (invalidLink) showInvalidLink();
    else await showConversation(traceId);
  } catch (err) {
    fail(err);
  }
  updateButtons();
}

function showInvalidLink(): void {
  thread.show([]);
  ui.title.textContent = 'Conversation not found';
  fail(new Error('This link does not name a conversation.'));
}

async function showConversation(traceId: string): Promise<void> {
  if (!currentId) {
    showTitle(null);
    thread.show([]);
    ui.input.focus();
    return;
  }
  const id = currentId;
  try {
    const c = await apiJson<ConversationWithMessages>(conversationApiPath(id), { traceId }, session);
    // Another conversation was opened while this one loaded: it wins.
    if (currentId !== id) return;
    showTitle(c.title);
    thread.show(c.messages);
  } catch (err) {
    if (currentId !== id) return;
    thread.show([]);
    if (err instanceof ApiError && err.status === 404) {
      ui.title.textContent = 'Conversation not found';
      fail(new Error('This conversation does not exist or was deleted.'));
    } else throw err;
  }
}

async function submit(): Promise<void> {
  const content = ui.input.value.trim();
  if (!content || answers.streaming) return;
  hideBanner();
  ui.input.value = '';
  autosize();
  let id = currentId;
  try {
    if (!id) {
      const created = await apiJson<Conversation>('/api/conversations', { method: 'POST', body: {} }, session);
      id = created.id;
      currentId = id;
      list.upsert(created);
      history.pushState(null, '', conversationPagePath(id));
    }
  } catch (err) {
    ui.input.value = content;
    return fail(err);
  }
  const result = await answers.send(id, content);
  if (result === 'not-sent' && !ui.input.value) ui.input.value = content;
  updateButtons();
}

function autosize(): void {
  ui.input.style.height = 'auto';
  ui.input.style.height = `${Math.min(ui.input.scrollHeight, 240)}px`;
}

ui.toggle.appendChild(icon([...ICONS.menu]));
ui.toggle.addEventListener('click', () => setSidebar(!document.body.classList.contains('sidebar-open')));
ui.scrim.addEventListener('click', () => setSidebar(false));
document.addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape' && document.body.classList.contains('sidebar-open')) setSidebar(false);
  // Esc stops the answer streaming (as the Stop button does), unless it is cancelling something
  // else: a rename field or a dialog.
  else if (ev.key === 'Escape' && answers.streaming && !(ev.target instanceof HTMLInputElement) && !(ev.target instanceof Element && ev.target.closest('dialog'))) answers.stop();
});
byId('new-chat').addEventListener('click', () => navigate('/'));
byId('banner-close').addEventListener('click', hideBanner);
ui.signOut.addEventListener('click', async () => {
  answers.disconnect();
  await session.signOut();
  listLoaded = false;
  history.pushState(null, '', '/');
  await signInView(null);
});
ui.composer.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void submit();
});
ui.input.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    void submit();
  }
});
ui.input.addEventListener('input', autosize);
ui.stop.addEventListener('click', () => answers.stop());
ui.regenerate.addEventListener('click', () => {
  if (currentId && !answers.streaming) void answers.regenerate(currentId).then(updateButtons);
});
window.addEventListener('popstate', () => void route());
void route();
