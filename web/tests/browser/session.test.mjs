// One session: its log live while it runs, and stopping it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkAccessibility, launchBrowser, openPage, screenshot, signIn } from '../support/browser.mjs';
import { startServer } from '../support/server.mjs';

// Waits for the line count under the log to read `text` exactly.
const logSummary = (page, text) => page.locator('#log-summary').filter({ hasText: new RegExp(`^${text}$`) }).waitFor();

describe('a session', () => {
  let server;
  let browser;
  before(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows appended lines in the open log, and follows only a reader at the bottom', async () => {
    const session = await server.api('POST', '/api/v1/jobSessions', { type: 'PolicyBackup', status: 'Running' }, 201);
    const lines = Array.from({ length: 300 }, (_, i) => ({ status: 'Success', message: `copied file ${i + 1}` }));
    await server.api('POST', `/api/v1/jobSessions/${session.id}/log`, { log: lines }, 201);
    const tab = await openPage(browser, server);
    const { page } = tab;
    await signIn(page, server, undefined, undefined, `/sessions/${session.id}`);
    await logSummary(page, '300 lines');
    const log = page.getByRole('log');
    // Only the lines in view are in the page.
    assert.ok((await log.locator('.log-row:not([hidden])').count()) < 120);
    // Scrolled to the bottom, the reader sees each new line come.
    await log.evaluate((el) => { el.scrollTop = el.scrollHeight; });
    await server.api('POST', `/api/v1/jobSessions/${session.id}/log`, { status: 'Warning', message: 'disk almost full' }, 201);
    await log.getByText('disk almost full').waitFor({ timeout: 2000 });
    await logSummary(page, '301 lines');
    await checkAccessibility(page, 'a running session');
    await screenshot(page, 'session-running');
    // Scrolled up, the view stays where the reader is.
    await log.evaluate((el) => { el.scrollTop = 0; });
    await server.api('POST', `/api/v1/jobSessions/${session.id}/log`, { status: 'Success', message: 'one more' }, 201);
    await logSummary(page, '302 lines');
    assert.equal(await log.evaluate((el) => el.scrollTop), 0);
    await log.getByText('copied file 1', { exact: true }).waitFor();
    // The end of the session ends the stream and shows the final status.
    await server.api('PATCH', `/api/v1/jobSessions/${session.id}`, { status: 'Success' }, 200);
    await logSummary(page, '302 lines; the session has ended\\.');
    await page.locator('dl.fields .badge', { hasText: 'Success' }).waitFor();
    tab.check();
    await tab.close();
  });

  it('resumes a dropped log stream without losing or repeating lines', async () => {
    const session = await server.api('POST', '/api/v1/jobSessions', { type: 'PolicyBackup', status: 'Running' }, 201);
    await server.api('POST', `/api/v1/jobSessions/${session.id}/log`, { status: 'Success', message: 'before the drop' }, 201);
    const tab = await openPage(browser, server);
    const { page } = tab;
    await signIn(page, server, undefined, undefined, `/sessions/${session.id}`);
    await logSummary(page, '1 line');
    // The server goes away and comes back on the same address: the stream is resumed with Last-Event-ID.
    tab.allow(/ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|ERR_EMPTY_RESPONSE/);
    await server.stop({ keepData: true });
    await page.getByText('Reconnecting…').waitFor();
    await server.restart();
    await server.api('POST', `/api/v1/jobSessions/${session.id}/log`, { status: 'Success', message: 'during the drop' }, 201);
    await page.getByRole('log').getByText('during the drop').waitFor();
    await page.getByText('Live', { exact: true }).waitFor();
    await server.api('POST', `/api/v1/jobSessions/${session.id}/log`, { status: 'Success', message: 'after the drop' }, 201);
    await page.getByRole('log').getByText('after the drop').waitFor();
    await logSummary(page, '3 lines');
    const messages = await page.locator('.log-row:not([hidden]) .log-message').allTextContents();
    assert.deepEqual(messages, ['before the drop', 'during the drop', 'after the drop']);
    tab.check();
    await tab.close();
  });

  it('stops a running session after a confirmation', async () => {
    const session = await server.api('POST', '/api/v1/jobSessions', { type: 'PolicyBackup', status: 'Running' }, 201);
    const tab = await openPage(browser, server);
    const { page } = tab;
    await signIn(page, server, undefined, undefined, `/sessions/${session.id}`);
    await page.getByRole('button', { name: 'Stop' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await checkAccessibility(page, 'the stop confirmation');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await server.api('GET', `/api/v1/jobSessions/${session.id}`)).status, 'Running');
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Stop session' }).click();
    await page.locator('dl.fields .badge', { hasText: 'Canceling' }).waitFor();
    assert.equal((await server.api('GET', `/api/v1/jobSessions/${session.id}`)).status, 'Canceling');
    // Nothing left to stop.
    assert.equal(await page.getByRole('button', { name: 'Stop' }).count(), 0);
    tab.check();
    await tab.close();
  });

  it('downloads the log', async () => {
    const session = await server.api('POST', '/api/v1/jobSessions', { type: 'PolicyBackup', status: 'Running' }, 201);
    await server.api('POST', `/api/v1/jobSessions/${session.id}/log`, { status: 'Success', message: 'first line' }, 201);
    const tab = await openPage(browser, server);
    const { page } = tab;
    await signIn(page, server, undefined, undefined, `/sessions/${session.id}`);
    await logSummary(page, '1 line');
    const [download] = await Promise.all([page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download log' }).click()]);
    assert.equal(download.suggestedFilename(), `session-${session.id}.log`);
    const path = await download.path();
    const { readFileSync } = await import('node:fs');
    assert.match(readFileSync(path, 'utf8'), /\tSuccess\tfirst line\n$/);
    tab.check();
    await tab.close();
  });
});
