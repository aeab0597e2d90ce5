// Policies: the form with the API's errors at their fields, run now, and the chart of a policy's runs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkAccessibility, launchBrowser, openPage, screenshot, signIn } from '../support/browser.mjs';
import { startServer, until } from '../support/server.mjs';

describe('policies', () => {
  let server;
  let browser;
  before(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('creates a policy: an error shown at its field, then saved', async () => {
    const tab = await openPage(browser, server);
    tab.allow(/status of 400/);
    const { page } = tab;
    await signIn(page, server, undefined, undefined, '/policies');
    await page.getByRole('link', { name: 'New policy' }).click();
    await page.waitForURL(/\/policies\/new$/);
    await page.getByLabel('Name').fill('nightly-home');
    await page.getByLabel('Command').fill('sh\n-c\necho backing up; sleep 0.2; echo done');
    await page.getByLabel('Schedule', { exact: true }).fill('30 1 * * *');
    await page.getByLabel('Time zone of the schedule').fill('Europe/Berlin');
    await page.getByLabel('Timeout (seconds)').fill('-5');
    await page.getByRole('button', { name: 'Create policy' }).click();
    const error = page.locator('#timeoutSeconds-error');
    await error.filter({ hasText: /./ }).waitFor();
    assert.equal(await page.getByLabel('Timeout (seconds)').getAttribute('aria-invalid'), 'true');
    await checkAccessibility(page, 'the policy form with an error');
    await screenshot(page, 'policy-form-error');
    assert.equal((await server.api('GET', '/api/v1/policies')).results.length, 0); // nothing was stored

    await page.getByLabel('Timeout (seconds)').fill('3600');
    await page.getByRole('button', { name: 'Create policy' }).click();
    await page.getByRole('heading', { name: 'nightly-home' }).waitFor();
    const [policy] = (await server.api('GET', '/api/v1/policies')).results;
    assert.equal(policy.schedule, 'CRON_TZ=Europe/Berlin 30 1 * * *');
    assert.deepEqual(policy.command, ['sh', '-c', 'echo backing up; sleep 0.2; echo done']);
    assert.equal(policy.timeoutSeconds, 3600);
    assert.ok(policy.nextRunUtc);
    tab.check();
    await tab.close();
  });

  it('runs a policy now and follows the run live', async () => {
    const policy = await server.api('POST', '/api/v1/policies', {
      name: 'run-me', command: ['sh', '-c', 'echo first; sleep 0.3; echo second'],
    }, 201);
    const tab = await openPage(browser, server);
    const { page } = tab;
    await signIn(page, server, undefined, undefined, '/policies');
    await page.getByRole('button', { name: 'Run now: run-me' }).click();
    await page.waitForURL(/\/sessions\/\d+$/);
    // Exactly the line: the first line of the log, which names the command, holds the word too.
    await page.getByRole('log').getByText('second', { exact: true }).waitFor();
    await page.locator('dl.fields .badge', { hasText: 'Success' }).waitFor();
    await page.getByRole('link', { name: 'run-me' }).click();
    await page.waitForURL(new RegExp(`/policies/${policy.id}$`));
    await screenshot(page, 'policy');
    tab.check();
    await tab.close();
  });

  it('opens a run from its bar in the chart', async () => {
    const policy = await server.api('POST', '/api/v1/policies', {
      name: 'charted', command: ['sh', '-c', 'exit 0'],
    }, 201);
    const runs = [];
    for (let i = 0; i < 4; ++i) {
      runs.push(await server.api('POST', `/api/v1/policies/${policy.id}/start`, undefined, 202));
      await until(async () => (await server.api('GET', `/api/v1/jobSessions/${runs[i].id}`)).executionStopTime);
    }
    const tab = await openPage(browser, server);
    const { page } = tab;
    await signIn(page, server, undefined, undefined, `/policies/${policy.id}`);
    const plot = page.locator('.chart-plot .u-over');
    await plot.waitFor();
    await checkAccessibility(page, 'a policy with its chart');
    // Bars run oldest to newest, left to right: the second bar is the second run.
    const box = await plot.boundingBox();
    await page.mouse.move(box.x + box.width * (1.5 / 4), box.y + box.height - 3);
    await page.mouse.click(box.x + box.width * (1.5 / 4), box.y + box.height - 3);
    await page.waitForURL(new RegExp(`/sessions/${runs[1].id}$`));
    tab.check();
    await tab.close();
  });

  it('enables, disables and deletes with a confirmation', async () => {
    const policy = await server.api('POST', '/api/v1/policies', {
      name: 'switched', command: ['true'], schedule: '@daily',
    }, 201);
    const tab = await openPage(browser, server);
    const { page } = tab;
    await signIn(page, server, undefined, undefined, '/policies');
    await page.getByRole('button', { name: 'Disable switched' }).click();
    await page.getByRole('button', { name: 'Enable switched' }).waitFor();
    assert.equal((await server.api('GET', `/api/v1/policies/${policy.id}`)).enabled, false);
    await checkAccessibility(page, 'the policies');
    await screenshot(page, 'policies');
    await page.getByRole('button', { name: 'Delete switched' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete policy' }).click();
    await page.getByRole('link', { name: 'switched', exact: true }).waitFor({ state: 'detached' });
    assert.equal((await server.fetch('GET', `/api/v1/policies/${policy.id}`, { token: await server.token() })).status, 404);
    tab.check();
    await tab.close();
  });
});
