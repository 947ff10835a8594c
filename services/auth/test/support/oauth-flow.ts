import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { OAUTH_FLOW_COOKIE } from '../../src/routes/oauth.js';
import { cookieOf, type Harness } from './harness.js';

/** A sign-in started at the auth service and answered by the (fake) provider. */
export interface StartedFlow {
  start: LightMyRequestResponse;
  authorizeUrl: URL;
  flowCookie: string;
  /** Where the provider sent the browser back: `${AUTH_PUBLIC_URL}/auth/callback/<provider>?code&state`. */
  callbackUrl: URL;
}

/** Does what a browser does up to the provider's redirect back. */
export async function beginLogin(h: Harness, provider: string): Promise<StartedFlow> {
  const start = await h.app.inject({ url: `/auth/login/${provider}` });
  assert.equal(start.statusCode, 302, start.body);
  const flowCookie = cookieOf(start, OAUTH_FLOW_COOKIE)?.value;
  assert.ok(flowCookie, 'the login start sets the flow cookie');
  const authorizeUrl = new URL(String(start.headers.location));
  const answer = await fetch(authorizeUrl, { redirect: 'manual' });
  assert.equal(answer.status, 302, await answer.text());
  return { start, authorizeUrl, flowCookie, callbackUrl: new URL(String(answer.headers.get('location'))) };
}

/** Delivers the provider's redirect to the callback, with the flow cookie the browser holds. */
export function deliverCallback(h: Harness, callbackUrl: URL, flowCookie: string | undefined, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return h.app.inject({ url: `${callbackUrl.pathname}${callbackUrl.search}`, cookies: flowCookie ? { [OAUTH_FLOW_COOKIE]: flowCookie } : {}, headers });
}

/** A whole sign-in; returns the callback's answer. */
export async function login(h: Harness, provider: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  const flow = await beginLogin(h, provider);
  return deliverCallback(h, flow.callbackUrl, flow.flowCookie, headers);
}

/** The callback URL of flow `a` with the `state` of flow `b` (code from a, state from b). */
export function mixState(a: URL, b: URL): URL {
  const mixed = new URL(a);
  mixed.searchParams.set('state', b.searchParams.get('state') as string);
  return mixed;
}
