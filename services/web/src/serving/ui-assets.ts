import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One file the web service serves from memory. */
export interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
  /** Strong validator of the body, for If-None-Match. */
  readonly etag: string;
}

/** An asset, or why it cannot be served (the file is missing). */
export type AssetSlot = { readonly ok: true; readonly asset: Asset } | { readonly ok: false; readonly problem: string };

/** Everything the pages need, read and bundled once at start. */
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

/** A bundle that failed: the start must stop, naming the file and esbuild's first errors. */
export class UiBuildError extends Error {
  override name = 'UiBuildError';
}

function asset(body: Buffer, contentType: string): Asset {
  return { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

function missing(dir: string, file: string): AssetSlot {
  return { ok: false, problem: `the web UI is not built: ${join(dir, file)} is missing` };
}

async function readAsset(dir: string, file: string, contentType: string): Promise<AssetSlot> {
  try {
    return { ok: true, asset: asset(await readFile(join(dir, file)), contentType) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return missing(dir, file);
    throw err;
  }
}

interface EsbuildMessage {
  text: string;
  location?: { file: string; line: number; column: number } | null;
}

async function bundle(dir: string, file: string, local: boolean): Promise<AssetSlot> {
  const entry = join(dir, file);
  try {
    await readFile(entry, { flag: 'r' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return missing(dir, file);
    throw err;
  }
  // Loaded on demand: only a service that serves the UI needs the bundler.
  const esbuild = await import('esbuild');
  try {
    const result = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      format: 'esm',
      target: 'es2022',
      platform: 'browser',
      sourcemap: local ? 'inline' : false,
      minify: !local,
      write: false,
      logLevel: 'silent',
      legalComments: 'none',
    });
    const out = result.outputFiles[0];
    if (!out) throw new UiBuildError(`bundling ${entry} produced no output`);
    return { ok: true, asset: asset(Buffer.from(out.contents), 'text/javascript; charset=utf-8') };
  } catch (err) {
    if (err instanceof UiBuildError) throw err;
    const errors = ((err as { errors?: EsbuildMessage[] }).errors ?? []).slice(0, 3);
    const detail = errors.length
      ? errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ${e.text}` : e.text)).join('; ')
      : (err as Error).message;
    throw new UiBuildError(`bundling ${entry} failed: ${detail}`);
  }
}

/**
 * Reads chat.html, ops.html, keys.html and styles.css and bundles chat.ts, ops.ts and keys.ts with esbuild (ESM,
 * ES2022; inline sourcemaps in local mode, minified otherwise). A missing file becomes a slot
 * that answers 503 naming it; a bundle that fails to compile throws {@link UiBuildError}.
 */
export async function loadUiAssets(dir: string, local: boolean): Promise<UiAssets> {
  const [chatHtml, opsHtml, stylesCss, chatJs, opsJs, keysHtml, keysJs] = await Promise.all([
    readAsset(dir, 'chat.html', 'text/html; charset=utf-8'),
    readAsset(dir, 'ops.html', 'text/html; charset=utf-8'),
    readAsset(dir, 'styles.css', 'text/css; charset=utf-8'),
    bundle(dir, 'chat.ts', local),
    bundle(dir, 'ops.ts', local),
    readAsset(dir, 'keys.html', 'text/html; charset=utf-8'),
    bundle(dir, 'keys.ts', local),
  ]);
  return { chatHtml, opsHtml, stylesCss, chatJs, opsJs, keysHtml, keysJs };
}
