import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { OAUTH_FLOW_COOKIE } from '../../src/routes/oauth.js';
import { cookieOf, type Harness } from './harness.js';

/**
 * The cookies a browser keeps for one site (the provider). Enough of RFC 6265 for a headless
 * walk through oidc-provider: name → value, deleted when a Set-Cookie expires it.
 */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((p) => p.trim());
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const expires = attributes.find((a) => /^expires=/i.test(a));
      const maxAge = attributes.find((a) => /^max-age=/i.test(a));
      const expired = (maxAge !== undefined && Number(maxAge.split('=')[1]) <= 0) || (expires !== undefined && Date.parse(expires.slice(8)) <= Date.now());
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** A Google sign-in started at the auth service and walked through the real provider. */
export interface OidcFlow {
  start: LightMyRequestResponse;
  authorizeUrl: URL;
  flowCookie: string;
  /** Every URL the browser fetched at the provider, in order. */
  providerHops: string[];
  /** Where the provider finally sent the browser: `${AUTH_PUBLIC_URL}/auth/callback/google?…`. */
  callbackUrl: URL;
}

/**
 * Does what a browser does from `GET /auth/login/google` until the provider redirects back to the
 * auth service: follows each redirect by hand (`redirect: 'manual'`), carrying the provider's
 * cookies, through the provider's interaction route (which signs in and consents).
 */
export async function walkToCallback(h: Harness, options: { publicUrl: string; remoteAddress: string; jar?: CookieJar }): Promise<OidcFlow> {
  const start = await h.app.inject({ url: '/auth/login/google', remoteAddress: options.remoteAddress });
  assert.equal(start.statusCode, 302, start.body);
  const flowCookie = cookieOf(start, OAUTH_FLOW_COOKIE)?.value;
  assert.ok(flowCookie, 'the login start sets the flow cookie');
  const authorizeUrl = new URL(String(start.headers.location));
  const jar = options.jar ?? new CookieJar();
  const providerHops: string[] = [];
  let next = authorizeUrl;
  for (let hop = 0; hop < 12; hop++) {
    if (next.href.startsWith(`${options.publicUrl}/`)) return { start, authorizeUrl, flowCookie, providerHops, callbackUrl: next };
    providerHops.push(next.href);
    const res = await fetch(next, { redirect: 'manual', headers: { cookie: jar.header(), accept: 'text/html' } });
    jar.take(res);
    const location = res.headers.get('location');
    if (res.status < 300 || res.status > 399 || !location) {
      throw new Error(`the provider stopped the browser at ${next.pathname} with HTTP ${res.status}: ${(await res.text()).slice(0, 500)}`);
    }
    await res.body?.cancel();
    next = new URL(location, next);
  }
  throw new Error(`no way back to the auth service after ${providerHops.length} provider hops: ${providerHops.join(' → ')}`);
}

/** Delivers the provider's redirect to the auth service's callback with the browser's flow cookie. */
export function deliverOidcCallback(h: Harness, callbackUrl: URL, flowCookie: string | undefined, options: { remoteAddress: string; headers?: Record<string, string> }): Promise<LightMyRequestResponse> {
  return h.app.inject({
    url: `${callbackUrl.pathname}${callbackUrl.search}`,
    cookies: flowCookie ? { [OAUTH_FLOW_COOKIE]: flowCookie } : {},
    headers: options.headers ?? {},
    remoteAddress: options.remoteAddress,
  });
}
