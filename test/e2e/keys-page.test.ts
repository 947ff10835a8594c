/**
 * The API-keys page in a real browser (Debian's Chromium, playwright-core) against the whole
 * platform: a person signs in, follows the chat page's "API keys" link, creates a key (shown
 * once), uses it with the real `openai` SDK, sees its usage on the page, revokes it, and the
 * SDK is refused within the token cache's bound (AUTH_CACHE_TTL_SECONDS).
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import OpenAI from 'openai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { requireBinary } from '../support/binaries.js';
import { repoRoot, startPlatform, type Platform } from '../support/platform.js';
import { scaled } from '../support/timeouts.js';

const CACHE_TTL_SECONDS = 2;

describe('the API-keys page in Chromium', { timeout: scaled(300_000) }, () => {
  let platform: Platform | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  after(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it('creates a key shown once, uses it with the SDK, shows its usage, revokes it', async (t: TestContext) => {
    const executablePath = requireBinary(t, 'chromium', 'chromium');
    if (!executablePath) return;
    platform = await startPlatform({ AUTH_CACHE_TTL_SECONDS: String(CACHE_TTL_SECONDS), API_USAGE_FLUSH_MS: '200', DEMO_TOKENS_PER_SECOND: '0' });
    const web = platform.urls.web;
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));`);
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.setDefaultTimeout(scaled(30_000));

    await page.goto(`${web}/`);
    await page.locator('#dev-login').waitFor({ state: 'visible' });
    await page.locator('#dev-email').fill('keys@samosachaat.local');
    await page.locator('#dev-login button[type="submit"]').click();
    await page.locator('#workspace').waitFor({ state: 'visible' });

    await page.locator('a.topbar-link[href="/keys"]').click();
    await page.waitForURL(`${web}/keys`);
    await page.locator('#create-key').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#user-email').textContent(), 'keys@samosachaat.local');
    assert.equal(await page.locator('#api-base').textContent(), `${web}/v1`);
    assert.equal(await page.locator('#keys-empty').isVisible(), true);

    await page.locator('#key-name').fill('browser key');
    await page.locator('#create-key button[type="submit"]').click();
    await page.locator('#new-key').waitFor({ state: 'visible' });
    const key = await page.locator('#new-key-value').inputValue();
    assert.match(key, /^sk-sc-[A-Za-z0-9_-]{43}$/);
    const row = page.locator('#key-rows tr');
    // The key is shown before the list reloads (keys.ts create → load): wait for its row.
    await row.first().waitFor({ state: 'visible' });
    assert.equal(await row.count(), 1);
    assert.match((await row.first().textContent()) ?? '', new RegExp(`browser key${key.slice(0, 14)}…`));
    assert.match((await row.first().locator('td').nth(3).textContent()) ?? '', /never/);

    // Shown once: a reload lists the key by its prefix only.
    await page.reload();
    await page.locator('#key-rows tr').first().waitFor();
    assert.equal(await page.locator('#new-key').isVisible(), false);
    assert.ok(!((await page.content()).includes(key)), 'the key is not on the page after a reload');

    const openai = new OpenAI({ apiKey: key, baseURL: `${web}/v1`, maxRetries: 0, timeout: scaled(60_000) });
    const answer = await openai.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'Hello from the keys page' }], max_tokens: 4 });
    assert.equal(answer.usage?.completion_tokens, 4);

    // Usage shows on the page (chat-api flushes every 200 ms here).
    const deadline = Date.now() + scaled(15_000);
    for (;;) {
      await page.reload();
      await page.locator('#key-rows tr').first().waitFor();
      if ((await page.locator('#key-rows tr td.key-requests').first().textContent()) === '1') break;
      assert.ok(Date.now() < deadline, 'the page shows the key’s request');
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.doesNotMatch((await page.locator('#key-rows tr td').nth(3).textContent()) ?? '', /never/);
    await mkdir(join(repoRoot, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(repoRoot, 'test-artifacts', 'keys.png') });

    const revoke = page.locator('#key-rows tr button', { hasText: 'Revoke' });
    await revoke.click();
    await page.locator('#key-rows tr button', { hasText: 'Really revoke?' }).click();
    await page.locator('#keys-empty').waitFor({ state: 'visible' });
    const revokedAt = Date.now();
    for (;;) {
      try {
        await openai.models.list();
      } catch (err) {
        assert.ok(err instanceof OpenAI.AuthenticationError, String(err));
        break;
      }
      assert.ok(Date.now() - revokedAt < CACHE_TTL_SECONDS * 1000 + scaled(3000), 'the revoked key stopped working within the cache bound');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(pageErrors, []);
  });
});
