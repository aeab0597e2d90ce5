// The sessions table: filters in the address, paging, and sessions appearing live.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkAccessibility, launchBrowser, openPage, screenshot, signIn } from '../support/browser.mjs';
import { startServer } from '../support/server.mjs';

describe('the sessions table', () => {
  let server;
  let browser;
  before(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    // 65 finished sessions, an hour apart: 20 backups that failed, the rest successful snapshots.
    const start = Date.parse('2026-11-01T00:00:00Z');
    for (let i = 0; i < 65; ++i) {
      const failed = i % 13 < 4;
      await server.api('POST', '/api/v1/jobSessions', {
        type: failed ? 'PolicyBackup' : 'PolicySnapshot',
        status: failed ? 'Error' : 'Success',
        executionStartTime: new Date(start + i * 3600_000).toISOString(),
        executionStopTime: new Date(start + i * 3600_000 + (i + 1) * 7000).toISOString(),
      }, 201);
    }
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const rows = (page) => page.locator('table.sessions tbody tr');

  it('opens a filtered view from its address, and Back and Forward move between views', async () => {
    const tab = await openPage(browser, server);
    const { page } = tab;
    await signIn(page, server, undefined, undefined, '/sessions?status=Error&type=PolicyBackup');
    await page.getByText('1–20 of 20 sessions').waitFor();
    assert.equal(await rows(page).count(), 20);
    for (const status of await page.locator('table.sessions tbody .badge').allTextContents()) {
      assert.equal(status, 'Error');
    }
    assert.equal(await page.getByLabel('Status').inputValue(), 'Error');
    assert.equal(await page.getByLabel('Type').inputValue(), 'PolicyBackup');
    await checkAccessibility(page, 'the sessions table');
    await screenshot(page, 'sessions-filtered');

    // Another filter is another address.
    await page.getByLabel('Status').selectOption('Success');
    await page.waitForURL(/status=Success/);
    await page.getByText('0–0 of 0 sessions').waitFor(); // no successful backups
    await page.goBack();
    await page.waitForURL(/status=Error/);
    await page.getByText('1–20 of 20 sessions').waitFor();
    await page.goForward();
    await page.getByText('0–0 of 0 sessions').waitFor();
    tab.check();
    await tab.close();
  });

  it('pages through every session', async () => {
    const tab = await openPage(browser, server);
    const { page } = tab;
    await signIn(page, server, undefined, undefined, '/sessions');
    await page.getByText('1–30 of 65 sessions').waitFor();
    await screenshot(page, 'sessions');
    // Newest first.
    assert.equal(await rows(page).first().locator('td').first().textContent(), '#65');
    await page.getByRole('link', { name: 'Next' }).click();
    await page.waitForURL(/offset=30/);
    await page.getByText('31–60 of 65 sessions').waitFor();
    assert.equal(await rows(page).first().locator('td').first().textContent(), '#35');
    await page.getByRole('link', { name: 'Last' }).click();
    await page.getByText('61–65 of 65 sessions').waitFor();
    assert.equal(await rows(page).count(), 5);
    await page.getByLabel('Page', { exact: true }).fill('2');
    await page.getByRole('button', { name: 'Go' }).click();
    await page.getByText('31–60 of 65 sessions').waitFor();
    await page.getByLabel('Page size').selectOption('100');
    await page.getByText('1–65 of 65 sessions').waitFor();
    await page.goBack();
    await page.getByText('31–60 of 65 sessions').waitFor();
    tab.check();
    await tab.close();
  });

  it('shows a session created through the API within two seconds, without a reload', async () => {
    const tab = await openPage(browser, server);
    const { page } = tab;
    await signIn(page, server, undefined, undefined, '/sessions');
    await page.getByText('of 65 sessions').waitFor();
    const created = await server.api('POST', '/api/v1/jobSessions', { type: 'HealthCheck', status: 'Running' }, 201);
    const row = page.locator(`table.sessions tbody tr[data-id="${created.id}"]`);
    await row.waitFor({ timeout: 2000 });
    assert.match(await row.textContent(), /Running/);
    // Its duration ticks while it runs.
    const duration = row.locator('td').last();
    const first = await duration.textContent();
    await page.waitForFunction(([id, before]) =>
      document.querySelector(`tr[data-id="${id}"] td:last-child`).textContent !== before, [created.id, first]);
    // And its end shows too.
    await server.api('PATCH', `/api/v1/jobSessions/${created.id}`, { status: 'Warning' }, 200);
    await row.locator('.badge', { hasText: 'Warning' }).waitFor({ timeout: 2000 });
    tab.check();
    await tab.close();
  });

  it('links to the licences of the software it includes', async () => {
    const tab = await openPage(browser, server);
    const { page } = tab;
    await signIn(page, server, undefined, undefined, '/sessions');
    await page.getByRole('contentinfo').getByRole('link', { name: 'Licences of the software it includes' }).click();
    await page.waitForURL(`${server.url}/licenses.txt`);
    const text = await page.locator('body').innerText();
    for (const bundled of ['uplot', 'eventsource-parser', 'swagger-ui-dist']) {
      assert.match(text, new RegExp(`^${bundled} \\S+ \\(`, 'm'));
    }
    tab.check();
    await tab.close();
  });
});
