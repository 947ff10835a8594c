import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildUi, CONTENT_SECURITY_POLICY, UiBuildError } from '../src/index.js';
import { builtFixtureUi, FIXTURE_MARKERS, fixtureUi, startWeb, type WebHarness } from './support/harness.js';
import { scaled } from '../../../test/support/timeouts.js';

describe('serving the pages and their bundles', { timeout: scaled(60_000) }, () => {
  let web: WebHarness;
  before(async () => {
    web = await startWeb();
  });
  after(() => web?.close());

  it('serves the chat page at /, /c/:id and /login, and the console at /ops and its client routes', async () => {
    for (const [path, marker] of [
      ['/', FIXTURE_MARKERS.chat],
      ['/c/0b4e7c1e-5a6f-4a59-9d1e-0e0f6f1a2b3c', FIXTURE_MARKERS.chat],
      ['/login', FIXTURE_MARKERS.chat],
      ['/ops', FIXTURE_MARKERS.ops],
      ['/ops/traces/abc', FIXTURE_MARKERS.ops],
    ] as const) {
      const res = await fetch(`${web.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      assert.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.match(await res.text(), new RegExp(marker), path);
    }
  });

  it('forbids inline scripts and styles and foreign origins in the policy', () => {
    const directives = new Map(CONTENT_SECURITY_POLICY.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
    assert.equal(directives.get('default-src'), "'self'");
    assert.equal(directives.get('script-src'), "'self'");
    assert.equal(directives.get('style-src'), "'self'");
    assert.equal(directives.get('connect-src'), "'self'");
    assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval|\*/);
  });

  it('serves the prebuilt bundles (TypeScript compiled, imports resolved, inline sourcemap in a --dev build) and the stylesheet', async () => {
    const chat = await fetch(`${web.url}/assets/chat.js`);
    assert.equal(chat.status, 200);
    assert.equal(chat.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(chat.headers.get('cache-control'), 'public, max-age=60');
    const js = await chat.text();
    assert.match(js, /chat-bundle-entry/);
    assert.match(js, /function traceIdLength/);
    assert.doesNotMatch(js, /: string/);
    assert.doesNotMatch(js, /^import /m);
    assert.match(js, /sourceMappingURL=data:application\/json;base64,/);
    assert.match(await (await fetch(`${web.url}/assets/ops.js`)).text(), /ops-bundle-entry/);
    const css = await fetch(`${web.url}/assets/styles.css`);
    assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
    assert.match(await css.text(), new RegExp(FIXTURE_MARKERS.css));
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await fetch(`${web.url}/`);
    const etag = first.headers.get('etag');
    assert.ok(etag);
    const again = await fetch(`${web.url}/`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), '');
  });

  it('builds minified bundles without a sourcemap unless --dev', async () => {
    const ui = fixtureUi();
    try {
      const files = await buildUi(ui.dir, { dev: false });
      assert.deepEqual(files, [join(ui.dir, 'dist/chat.js'), join(ui.dir, 'dist/ops.js'), join(ui.dir, 'dist/keys.js')]);
      const js = readFileSync(join(ui.dir, 'dist/chat.js'), 'utf8');
      assert.match(js, /chat-bundle-entry/);
      assert.doesNotMatch(js, /sourceMappingURL/);
      assert.ok(js.trim().split('\n').length <= 2, 'minified output is one or two lines');
    } finally {
      ui.remove();
    }
  });

  it('answers a clear 503 naming the file when a page or bundle is missing', async () => {
    const ui = await builtFixtureUi({ omit: ['chat.html', 'ops.ts'] });
    const bare = await startWeb({ WEB_UI_DIR: ui.dir });
    try {
      const page = await fetch(`${bare.url}/`);
      assert.equal(page.status, 503);
      assert.equal(page.headers.get('content-type'), 'text/plain; charset=utf-8');
      assert.match(await page.text(), /the web UI is not built: .*chat\.html is missing/);
      const json = await fetch(`${bare.url}/`, { headers: { accept: 'application/json' } });
      assert.equal(((await json.json()) as { error: { code: string } }).error.code, 'WEB_UI_UNAVAILABLE');
      const bundle = await fetch(`${bare.url}/assets/ops.js`);
      assert.equal(bundle.status, 503);
      assert.match(await bundle.text(), /dist\/ops\.js is missing \(run `npm run build:ui`\)/);
      assert.equal((await fetch(`${bare.url}/ops`)).status, 200);
    } finally {
      await bare.close();
      ui.remove();
    }
  });

  it('fails the build when a bundle does not compile, naming the file and the error', async () => {
    const ui = fixtureUi({ brokenTs: true });
    try {
      await assert.rejects(buildUi(ui.dir, { dev: true }), (err: Error) => {
        assert.ok(err instanceof UiBuildError);
        assert.match(err.message, /bundling .*chat\.ts failed: .*chat\.ts:1:\d+: Could not resolve "\.\/missing-module\.js"/);
        return true;
      });
    } finally {
      ui.remove();
    }
  });

  it('with OPS_CONSOLE=false serves no console and no console API', async () => {
    const closed = await startWeb({ OPS_CONSOLE: 'false' });
    try {
      assert.equal((await fetch(`${closed.url}/ops`)).status, 404);
      const api = await fetch(`${closed.url}/ops/api/traces`);
      assert.equal(api.status, 404);
      assert.equal(((await api.json()) as { error: { code: string } }).error.code, 'WEB_OPS_DISABLED');
    } finally {
      await closed.close();
    }
  });

  it('reports itself: /ready needs nothing behind web, /health shows chat-api and auth down', async () => {
    const ready = await fetch(`${web.url}/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(((await ready.json()) as { checks: unknown[] }).checks, []);
    let health: { service: string; dependencies: Record<string, { ok: boolean | null; detail: string }> } | undefined;
    for (let i = 0; i < 100; i++) {
      health = (await (await fetch(`${web.url}/health`)).json()) as typeof health;
      if (health?.dependencies['auth']?.ok !== null && health?.dependencies['chat-api']?.ok !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(health?.service, 'web');
    assert.deepEqual([health?.dependencies['auth']?.ok, health?.dependencies['chat-api']?.ok], [false, false]);
  });
});
