// Swagger UI at /swagger: served like the console (no CDN), describing every route from the server's own
// document, with Authorize signing in through the token endpoint so that every call can be tried.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, openPage, screenshot } from '../support/browser.mjs';
import { ADMIN_PASSWORD, startServer } from '../support/server.mjs';

describe('Swagger UI', () => {
  let server;
  let browser;
  before(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    await server.api('POST', '/api/v1/jobSessions', { type: 'PolicyBackup', status: 'Success' }, 201);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows every route and tries one after Authorize', async () => {
    const tab = await openPage(browser, server);
    const { page } = tab;
    await page.goto(`${server.url}/swagger`);
    await page.getByText('jobsessions API').first().waitFor();
    const document = await server.api('GET', '/api/v1/openapi.json');
    const operations = Object.values(document.paths).flatMap((item) => Object.keys(item)).length;
    await page.locator('.opblock').nth(operations - 1).waitFor();
    assert.equal(await page.locator('.opblock').count(), operations);
    await screenshot(page, 'swagger');

    await page.getByRole('button', { name: 'Authorize' }).first().click();
    const dialog = page.locator('.modal-ux');
    await dialog.locator('input#oauth_username').fill('admin');
    await dialog.locator('input#oauth_password').fill(ADMIN_PASSWORD);
    await dialog.getByRole('button', { name: 'Apply given OAuth2 credentials' }).click();
    await dialog.locator('button', { hasText: 'Logout' }).first().waitFor();
    await dialog.locator('button', { hasText: 'Close' }).first().click();

    const get = page.locator('#operations-Job_sessions-getSession');
    await get.locator('.opblock-summary').click();
    await get.getByRole('button', { name: 'Try it out' }).click();
    await get.locator('input[placeholder="id"]').fill('1');
    await get.getByRole('button', { name: 'Execute' }).click();
    const answer = get.locator('.live-responses-table .response .response-col_status').first();
    await answer.filter({ hasText: '200' }).waitFor();
    await get.getByText('"localizedType": "Policy Backup"').waitFor();
    tab.check();
    await tab.close();
  });
});
