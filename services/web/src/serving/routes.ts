import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { WEB_ERRORS } from '../errors.js';
import type { AssetSlot, UiAssets } from './ui-assets.js';

/**
 * The page policy: scripts and styles only from this origin (no inline script or style), no
 * plugins, no framing, and API calls only to this origin (the proxies).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/** Seconds a browser may reuse a bundle or stylesheet without asking (they change on restart). */
export const ASSET_MAX_AGE_SECONDS = 60;

function securityHeaders(reply: FastifyReply): void {
  reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'same-origin');
  reply.header('x-frame-options', 'DENY');
}

function serve(slot: AssetSlot, cacheControl: string) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    securityHeaders(reply);
    if (!slot.ok) {
      // Plain text on purpose: this page is read by a developer who has not built the UI yet.
      reply.header('cache-control', 'no-store');
      if (request.headers.accept?.includes('application/json')) throw WEB_ERRORS.WEB_UI_UNAVAILABLE({ message: slot.problem });
      return reply.code(503).type('text/plain; charset=utf-8').send(`503 Service Unavailable: ${slot.problem}\n`);
    }
    const { asset } = slot;
    reply.header('cache-control', cacheControl);
    reply.header('etag', asset.etag);
    if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    return reply.type(asset.contentType).send(asset.body);
  };
}

/**
 * The pages and their assets: `/`, `/c/:conversationId`, `/login`, `/auth/complete` and
 * `/auth/error` are the chat page; `/keys` the API-keys page; `/ops` and `/ops/*` the console
 * (when enabled); `/assets/chat.js`, `/assets/ops.js`, `/assets/keys.js` and `/assets/styles.css`.
 */
export function registerUiRoutes(app: FastifyInstance, assets: UiAssets, options: { opsConsole: boolean }): void {
  const html = 'no-cache';
  const chat = serve(assets.chatHtml, html);
  for (const path of ['/', '/c/:conversationId', '/login', '/auth/complete', '/auth/error']) app.get(path, chat);
  app.get('/keys', serve(assets.keysHtml, html));
  if (options.opsConsole) {
    const ops = serve(assets.opsHtml, html);
    app.get('/ops', ops);
    app.get('/ops/*', ops);
  }
  const cached = `public, max-age=${ASSET_MAX_AGE_SECONDS}`;
  app.get('/assets/chat.js', serve(assets.chatJs, cached));
  app.get('/assets/ops.js', serve(assets.opsJs, cached));
  app.get('/assets/keys.js', serve(assets.keysJs, cached));
  app.get('/assets/styles.css', serve(assets.stylesCss, cached));
}
