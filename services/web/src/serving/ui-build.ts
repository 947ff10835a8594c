import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The bundle entries of the UI folder and the files they become under `dist/`. */
export const UI_ENTRIES = [
  { entry: 'chat.ts', output: 'chat.js' },
  { entry: 'ops.ts', output: 'ops.js' },
  { entry: 'keys.ts', output: 'keys.js' },
] as const;

/** Where the built bundles go inside the UI folder (git-ignored). */
export const UI_DIST = 'dist';

/** A bundle that failed: the build stops, naming the file and esbuild's first errors. */
export class UiBuildError extends Error {
  override name = 'UiBuildError';
}

/** How to build: `dev` keeps the code readable with an inline sourcemap; otherwise minified, no map. */
export interface UiBuildOptions {
  readonly dev: boolean;
  /** Builds only the entries that exist (test fixtures); by default a missing entry is an error. */
  readonly skipMissing?: boolean;
}

interface EsbuildMessage {
  text: string;
  location?: { file: string; line: number; column: number } | null;
}

/**
 * Bundles `chat.ts`, `ops.ts` and `keys.ts` of `dir` with esbuild (ESM, ES2022, browser) into
 * `dir/dist/chat.js` and `dir/dist/ops.js`. Run at build time (`npm run build:ui`, and before
 * `npm start`), never when web starts: web only reads the files (services/web/README.md).
 * Returns the files written; a missing entry or a compile error throws {@link UiBuildError}.
 */
export async function buildUi(dir: string, options: UiBuildOptions): Promise<string[]> {
  // Loaded on demand: only a build needs the bundler (a dev dependency).
  const esbuild = await import('esbuild');
  const written: string[] = [];
  mkdirSync(join(dir, UI_DIST), { recursive: true });
  for (const { entry, output } of UI_ENTRIES) {
    const source = join(dir, entry);
    if (!existsSync(source)) {
      if (options.skipMissing) continue;
      throw new UiBuildError(`bundling ${source} failed: the file is missing`);
    }
    let contents: Uint8Array;
    try {
      const result = await esbuild.build({
        entryPoints: [source],
        bundle: true,
        format: 'esm',
        target: 'es2022',
        platform: 'browser',
        sourcemap: options.dev ? 'inline' : false,
        minify: !options.dev,
        write: false,
        logLevel: 'silent',
        legalComments: 'none',
      });
      const out = result.outputFiles[0];
      if (!out) throw new UiBuildError(`bundling ${source} produced no output`);
      contents = out.contents;
    } catch (err) {
      if (err instanceof UiBuildError) throw err;
      const errors = ((err as { errors?: EsbuildMessage[] }).errors ?? []).slice(0, 3);
      const detail = errors.length
        ? errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ${e.text}` : e.text)).join('; ')
        : (err as Error).message;
      throw new UiBuildError(`bundling ${source} failed: ${detail}`);
    }
    const target = join(dir, UI_DIST, output);
    // Written aside then renamed: a web starting meanwhile reads the old file or the new one, whole.
    const partial = `${target}.${process.pid}.tmp`;
    writeFileSync(partial, contents);
    renameSync(partial, target);
    written.push(target);
  }
  return written;
}
