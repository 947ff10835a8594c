import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UI_DIST } from './ui-build.js';

/** One file the web service serves from memory. */
export interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
  /** Strong validator of the body, for If-None-Match. */
  readonly etag: string;
}

/** An asset, or why it cannot be served (the file is missing). */
export type AssetSlot = { readonly ok: true; readonly asset: Asset } | { readonly ok: false; readonly problem: string };

/** Everything the pages need, read once at start (the bundles are built beforehand). */
export interface UiAssets {
  readonly chatHtml: AssetSlot;
  readonly opsHtml: AssetSlot;
  readonly chatJs: AssetSlot;
  readonly opsJs: AssetSlot;
  /** The API-keys page (README "Use the API"). */
  readonly keysHtml: AssetSlot;
  readonly keysJs: AssetSlot;
  readonly stylesCss: AssetSlot;
}

function asset(body: Buffer, contentType: string): Asset {
  return { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

async function readAsset(dir: string, file: string, contentType: string, hint = ''): Promise<AssetSlot> {
  try {
    return { ok: true, asset: asset(await readFile(join(dir, file)), contentType) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, problem: `the web UI is not built: ${join(dir, file)} is missing${hint}` };
    throw err;
  }
}

/**
 * Reads chat.html, ops.html, keys.html and styles.css, and the bundles `npm run build:ui`
 * wrote to `dist/chat.js`, `dist/ops.js` and `dist/keys.js` (see ui-build.ts). Nothing is compiled here: a missing file
 * becomes a slot that answers 503 naming it (and, for a bundle, the command that builds it).
 */
export async function loadUiAssets(dir: string): Promise<UiAssets> {
  const js = 'text/javascript; charset=utf-8';
  const hint = ' (run `npm run build:ui`)';
  const [chatHtml, opsHtml, stylesCss, chatJs, opsJs, keysHtml, keysJs] = await Promise.all([
    readAsset(dir, 'chat.html', 'text/html; charset=utf-8'),
    readAsset(dir, 'ops.html', 'text/html; charset=utf-8'),
    readAsset(dir, 'styles.css', 'text/css; charset=utf-8'),
    readAsset(dir, join(UI_DIST, 'chat.js'), js, hint),
    readAsset(dir, join(UI_DIST, 'ops.js'), js, hint),
    readAsset(dir, 'keys.html', 'text/html; charset=utf-8'),
    readAsset(dir, join(UI_DIST, 'keys.js'), js, hint),
  ]);
  return { chatHtml, opsHtml, stylesCss, chatJs, opsJs, keysHtml, keysJs };
}
