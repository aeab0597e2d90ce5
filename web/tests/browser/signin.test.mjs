// Signing in and out of the console, in headless Chromium against a real jobsessiond.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkAccessibility, launchBrowser, openPage, screenshot, signIn } from '../support/browser.mjs';
import { ADMIN_PASSWORD, startServer, until } from '../support/server.mjs';

describe('signing in', () => {
  let server;
  let browser;
  before(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('signs in, and back to the page asked for', async () => {
    const tab = await openPage(browser, server);
    const { page } = tab;
    await page.goto(`${server.url}/sessions?status=Error`);
    await page.waitForURL(/\/signin\?next=/);
    await checkAccessibility(page, 'the sign-in page');
    await screenshot(page, 'signin');
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/sessions\?status=Error$/);
    await page.getByText('admin · Administrator').waitFor();
    // The refresh token is in an HttpOnly cookie no script can read.
    const cookies = await tab.context.cookies();
    const refresh = cookies.find((c) => c.name === 'jobsessions_refresh');
    assert.ok(refresh, 'the refresh cookie is set');
    assert.equal(refresh.httpOnly, true);
    assert.equal(refresh.secure, true);
    assert.equal(refresh.sameSite, 'Strict');
    assert.equal(refresh.path, '/api/oauth2/token');
    assert.ok(!(await page.evaluate(() => document.cookie)).includes('jobsessions_refresh'));
    tab.check();
    await tab.close();
  });

  it('shows the API\'s message for a wrong password', async () => {
    const tab = await openPage(browser, server);
    tab.allow(/status of 401/);
    const { page } = tab;
    await page.goto(`${server.url}/signin`);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.filter({ hasText: /user name or password/i }).waitFor();
    assert.match(page.url(), /\/signin$/);
    await screenshot(page, 'signin-wrong-password');
    tab.check();
    await tab.close();
  });

  it('stays signed in across a reload and in a new tab', async () => {
    const tab = await openPage(browser, server);
    const { page } = tab;
    await signIn(page, server, 'admin', ADMIN_PASSWORD, '/policies');
    await page.reload();
    await page.getByRole('heading', { name: 'Policies' }).waitFor();
    assert.match(page.url(), /\/policies$/);
    const second = await tab.context.newPage();
    await second.goto(`${server.url}/sessions`);
    await second.getByRole('heading', { name: 'Sessions' }).waitFor();
    assert.doesNotMatch(second.url(), /signin/);
    tab.check();
    await tab.close();
  });

  it('signs out, and the refresh cookie no longer works', async () => {
    const tab = await openPage(browser, server);
    const { page } = tab;
    await signIn(page, server);
    const before = await tab.context.cookies();
    const refresh = before.find((c) => c.name === 'jobsessions_refresh');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/signin$/);
    // The browser no longer has it, and the token it held is revoked.
    assert.equal((await tab.context.cookies()).some((c) => c.name === 'jobsessions_refresh'), false);
    const res = await server.fetch('POST', '/api/oauth2/token', {
      form: { grant_type: 'refresh_token' }, headers: { Cookie: `jobsessions_refresh=${refresh.value}` },
    });
    assert.equal(res.status, 401);
    // Put back by hand, it does not sign the console in either.
    tab.allow(/status of 401/);
    await tab.context.addCookies(before);
    await page.goto(`${server.url}/sessions`);
    await page.waitForURL(/\/signin\?next=%2Fsessions$/);
    tab.check();
    await tab.close();
  });

  it('returns to the sign-in page when the login ends, then back to where the operator was', async () => {
    server.addUser('olivia', 'Operator', 'olivia-password');
    const tab = await openPage(browser, server);
    tab.allow(/status of 401/);
    const { page } = tab;
    await signIn(page, server, 'olivia', 'olivia-password', '/sessions');
    const probe = await server.token('olivia', 'olivia-password');
    const disabled = server.runUserCommand(['disable', 'olivia']);
    assert.equal(disabled.status, 0, disabled.stderr);
    // The server takes in the change within seconds: until then, her tokens still work.
    await until(async () => (await server.fetch('GET', '/api/v1/policies', { token: probe })).status === 401);
    await page.getByRole('link', { name: 'Policies' }).click();
    await page.waitForURL(/\/signin\?next=%2Fpolicies$/);
    assert.equal(server.runUserCommand(['enable', 'olivia']).status, 0);
    await page.getByLabel('User name').fill('olivia');
    await page.getByLabel('Password').fill('olivia-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/policies$/);
    await page.getByRole('heading', { name: 'Policies' }).waitFor();
    tab.check();
    await tab.close();
  });
});
