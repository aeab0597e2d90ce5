// Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, with the checks every browser test
// makes: no console error, no uncaught exception, no Content-Security-Policy violation, no request to any other
// origin. Screenshots are written only when JOBSESSIONS_SCREENSHOT_DIR names a folder (scripts/screenshots).
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { ADMIN_PASSWORD } from './server.mjs';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.JOBSESSIONS_CHROMIUM ?? '/usr/bin/chromium',
    // A closed network: nothing in the background may try to reach the internet.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-extensions'],
  });
}

/**
 * A fresh browser profile on `server`. `allow` lists console messages a test expects (such as the 401 of a wrong
 * password); anything else fails the test in `check()`.
 */
export async function openPage(browser, server, { viewport = { width: 1280, height: 860 }, colorScheme = 'light' } = {}) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport, colorScheme });
  const problems = [];
  const allowed = [];
  await context.route((url) => !url.href.startsWith(server.origin) && url.protocol !== 'data:' &&
    url.protocol !== 'blob:', (route) => {
    problems.push(`request to another origin: ${route.request().url()}`);
    return route.abort();
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error' && !allowed.some((pattern) => pattern.test(message.text()))) {
      problems.push(`console error: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  return {
    page,
    context,
    allow(pattern) {
      allowed.push(pattern);
    },
    /** Fails on anything the page did wrong so far. */
    check() {
      assert.deepEqual(problems, [], problems.join('\n'));
    },
    async close() {
      await context.close();
    },
  };
}

export async function signIn(page, server, username = 'admin', password = ADMIN_PASSWORD, path = '/') {
  await page.goto(server.url + path);
  await page.waitForURL(/\/signin/);
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** axe-core on the page as it is: no serious or critical violation. */
export async function checkAccessibility(page, what) {
  await page.evaluate(axeSource);
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), [],
    `accessibility of ${what}`);
}

export async function screenshot(page, name) {
  const dir = process.env.JOBSESSIONS_SCREENSHOT_DIR;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, `${name}.png`) });
  }
}
