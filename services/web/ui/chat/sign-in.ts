/**
 * The sign-in panel: the development login form when auth offers it (local mode), and one
 * button per configured OAuth provider. OAuth ends at /auth/complete or /auth/error, which
 * the router handles.
 */
import { byId, clear, h } from '../lib/dom.js';
import type { Session } from '../lib/session.js';

interface Providers {
  providers: string[];
  dev_login: boolean;
}

const LABELS: Record<string, string> = { github: 'Continue with GitHub', google: 'Continue with Google' };

/** Why an OAuth sign-in failed, in words (reasons from services/auth/README.md). */
export function reasonText(reason: string): string {
  const texts: Record<string, string> = {
    access_denied: 'the sign-in was cancelled.',
    invalid_state: 'the sign-in took too long or was started elsewhere. Try again.',
    email_in_use: 'that address already belongs to an account of the other provider.',
    no_verified_email: 'the provider has no verified e-mail address for you.',
    provider_unavailable: 'the provider could not be reached. Try again later.',
    token_exchange_failed: 'the provider refused the sign-in.',
  };
  return texts[reason] ?? `the provider reported “${reason}”.`;
}

/** Shows the sign-in panel and calls `signedIn` once the development login succeeds. */
export async function showSignIn(session: Session, traceId: string, notice: string | null, signedIn: () => void): Promise<void> {
  const noticeEl = byId('sign-in-notice');
  noticeEl.textContent = notice ?? '';
  noticeEl.hidden = !notice;
  const buttons = byId('provider-buttons');
  const form = byId<HTMLFormElement>('dev-login');
  clear(buttons);
  let offered: Providers = { providers: [], dev_login: false };
  try {
    const res = await fetch('/auth/providers', { headers: { 'x-trace-id': traceId } });
    if (res.ok) offered = (await res.json()) as Providers;
    else throw new Error(`HTTP ${res.status}`);
  } catch (err) {
    noticeEl.textContent = `The sign-in service is unreachable (${err instanceof Error ? err.message : String(err)}). Reload to try again.`;
    noticeEl.hidden = false;
  }
  for (const p of offered.providers) buttons.appendChild(h('a', { class: `provider-button provider-${p}`, href: `/auth/login/${encodeURIComponent(p)}` }, LABELS[p] ?? `Continue with ${p}`));
  form.hidden = !offered.dev_login;
  byId('no-sign-in').hidden = offered.dev_login || offered.providers.length > 0;
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    const email = byId<HTMLInputElement>('dev-email').value.trim();
    const name = byId<HTMLInputElement>('dev-name').value.trim();
    const submit = form.querySelector('button');
    if (submit) submit.disabled = true;
    try {
      await session.devLogin(email, name || undefined, traceId);
      signedIn();
    } catch (err) {
      noticeEl.textContent = err instanceof Error ? err.message : String(err);
      noticeEl.hidden = false;
    } finally {
      if (submit) submit.disabled = false;
    }
  };
  (offered.dev_login ? byId('dev-email') : buttons.querySelector('a'))?.focus();
}
