#!/usr/bin/env node
// Counts the workspace modules that importing one module loads, by workspace folder: how many
// of another service's modules (and the database package's) a service pulls in (issue 14).
// Usage: node --conditions=source --import tsx scripts/module-count.mjs [module] (default: services/web/src/app.ts)
import { registerHooks } from 'node:module';
import { relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const target = resolve(root, process.argv[2] ?? 'services/web/src/app.ts');
const loaded = new Set();
registerHooks({
  load(url, context, nextLoad) {
    if (url.startsWith('file:')) loaded.add(fileURLToPath(url));
    return nextLoad(url, context);
  },
});
await import(pathToFileURL(target).href);
const counts = {};
for (const file of loaded) {
  const rel = relative(root, file);
  const m = /^(services|packages|apps)\/([^/]+)\/src\//.exec(rel);
  const key = m ? `${m[1]}/${m[2]}` : rel.includes('node_modules/@electric-sql/pglite/') ? 'pglite' : undefined;
  if (key) counts[key] = (counts[key] ?? 0) + 1;
}
console.log(JSON.stringify({ target: relative(root, target), modules: Object.fromEntries(Object.entries(counts).sort()) }, null, 2));
