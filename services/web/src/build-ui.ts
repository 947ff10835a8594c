/**
 * Builds the browser bundles: `ui/chat.ts` and `ui/ops.ts` → `ui/dist/chat.js` and
 * `ui/dist/ops.js` (services/web/README.md, "The browser UI"). Run by `npm run build:ui`, by
 * `npm run build` and before `npm start`; web serves the files and never bundles at start.
 *
 *   node --conditions=source --import tsx services/web/src/build-ui.ts [--dev] [UI_DIR]
 *
 * `--dev` keeps the code readable with inline sourcemaps; without it the bundles are minified.
 * Exit 1 with `web: bundling …/chat.ts failed: file:line:col: message` when a bundle does not compile.
 */
import { resolve } from 'node:path';
import { DEFAULT_UI_DIR } from './config.js';
import { buildUi, UiBuildError } from './serving/ui-build.js';

const args = process.argv.slice(2);
const dev = args.includes('--dev');
const dirArg = args.find((a) => !a.startsWith('--'));
const dir = dirArg ? resolve(dirArg) : DEFAULT_UI_DIR;
try {
  const files = await buildUi(dir, { dev });
  process.stdout.write(`web: built ${files.join(', ')}${dev ? ' (dev: inline sourcemaps)' : ' (minified)'}\n`);
} catch (err) {
  if (!(err instanceof UiBuildError)) throw err;
  process.stderr.write(`web: ${err.message}\n`);
  process.exitCode = 1;
}
