// The console shows only what the signed-in role may do; the overview; light and dark; a phone's width.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkAccessibility, launchBrowser, openPage, screenshot, signIn } from '../support/browser.mjs';
import { startServer } from '../support/server.mjs';

describe('roles and the overview', () => {
  let server;
  let browser;
  let running;
  let policy;
  before(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    server.addUser('victor', 'Viewer', 'victor-password');
    policy = await server.api('POST', '/api/v1/policies', { name: 'watched', command: ['true'] }, 201);
    running = await server.api('POST', '/api/v1/jobSessions', { type: 'PolicyBackup', status: 'Running' }, 201);
    const now = Date.now();
    for (const [i, status] of ['Success', 'Error', 'Warning', 'Success', 'Success'].entries()) {
      await server.api('POST', '/api/v1/jobSessions', {
        type: 'PolicyBackup', status,
        executionStartTime: new Date(now - (i + 2) * 3600_000).toISOString(),
        executionStopTime: new Date(now - (i + 2) * 3600_000 + (i + 1) * 60_000).toISOString(),
      }, 201);
    }
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows a Viewer no Stop, Run, Edit or Delete', async () => {
    const tab = await openPage(browser, server);
    const { page } = tab;
    await signIn(page, server, 'victor', 'victor-password', '/policies');
    await page.getByRole('link', { name: 'watched' }).waitFor();
    for (const name of ['New policy', 'Edit']) {
      assert.equal(await page.getByRole('link', { name }).count(), 0, name);
    }
    for (const name of [/Run/, /Disable/, /Delete/]) {
      assert.equal(await page.getByRole('button', { name }).count(), 0, String(name));
    }
    await page.getByRole('link', { name: 'watched' }).click();
    await page.getByRole('heading', { name: 'watched' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Run now' }).count(), 0);
    await page.goto(`${server.url}/sessions/${running.id}`);
    await page.getByRole('button', { name: 'Download log' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Stop' }).count(), 0);
    tab.check();
    await tab.close();
  });

  it('shows the last 24 hours and 7 days, failures first', async () => {
    const tab = await openPage(browser, server);
    const { page } = tab;
    await signIn(page, server);
    const day = page.locator('.summary-card').first();
    await day.getByText('6 sessions').waitFor();
    const counts = await day.locator('.counts li').allTextContents();
    assert.deepEqual(counts, ['1 Error', '1 Warning', '1 Running', '3 Success']);
    await day.getByText('1 running now').waitFor();
    await page.locator('.chart-plot .u-over').waitFor();
    await checkAccessibility(page, 'the overview');
    await screenshot(page, 'overview');
    tab.check();
    await tab.close();
  });

  it('follows the system\'s dark setting and fits a phone', async () => {
    const tab = await openPage(browser, server, { viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    const { page } = tab;
    await signIn(page, server, undefined, undefined, '/sessions');
    await page.getByText('of 6 sessions').waitFor();
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(background, 'rgb(13, 17, 23)');
    // Nothing wider than the screen but the table, which scrolls in its own box.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    await checkAccessibility(page, 'the sessions table in dark on a phone');
    await screenshot(page, 'sessions-dark-phone');
    await page.goto(`${server.url}/policies/${policy.id}`);
    await page.getByRole('heading', { name: 'watched' }).waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
    tab.check();
    await tab.close();
  });

  it('can be used with the keyboard alone', async () => {
    const tab = await openPage(browser, server);
    const { page } = tab;
    await page.goto(`${server.url}/signin`);
    await page.keyboard.type('admin'); // the user name has the focus
    await page.keyboard.press('Tab');
    const { ADMIN_PASSWORD } = await import('../support/server.mjs');
    await page.keyboard.type(ADMIN_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    // On a page opened anew, the first Tab reaches the skip link, shown and outlined while focused; Enter on it
    // moves the focus to the page's content, and from there Tab goes on inside it.
    await page.goto(`${server.url}/sessions`);
    await page.getByText('of 6 sessions').waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, 'none');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'filter-type');
    // A filter chosen with the keyboard keeps the focus where it was.
    await page.keyboard.press('Tab');
    await page.keyboard.press('ArrowDown'); // the first status after "All statuses"
    await page.waitForURL(/status=Pending/);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'filter-status');
    tab.check();
    await tab.close();
  });
});
