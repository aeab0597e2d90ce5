// The web console on a big store, in headless Chromium: what its first load transfers, how soon the sessions
// page shows its first rows, how fast any page of the table comes, how a log of 100,000 lines opens and scrolls,
// and what an open console costs the server while nothing changes. Run by bench/run-console.
//
//   node bench/console.mjs --data-dir DIR     (a store made by jobsessions-seed; JOBSESSIOND_BINARY set)
import { launchBrowser, openPage, signIn } from '../web/tests/support/browser.mjs';
import { ADMIN_PASSWORD, startServer } from '../web/tests/support/server.mjs';
import { PlainChromium } from './plain_chromium.mjs';

const dataDir = process.argv[process.argv.indexOf('--data-dir') + 1];
const RUNS = 5;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const results = [];
const report = (what, value, goal) => {
  results.push({ what, value, goal });
  console.error(`${what}: ${value}`);
};

/**
 * Opens the session page of `id` RUNS times in a Chromium that no DevTools network instrumentation slows down
 * (see plain_chromium.mjs): from navigation to the first lines shown, and to every line loaded.
 */
async function openLogInPlainChromium(id) {
  const chromium = await PlainChromium.launch();
  try {
    await chromium.goto(`${server.url}/sessions`);
    await chromium.evaluate(`(async () => {
      const until = (test) => new Promise((resolve) => { const check = () => test() ? resolve() : setTimeout(check, 10); check(); });
      await until(() => document.getElementById('username'));
      document.getElementById('username').value = 'admin';
      document.getElementById('password').value = ${JSON.stringify(ADMIN_PASSWORD)};
      document.querySelector('main form').requestSubmit();
      await until(() => !location.pathname.startsWith('/signin') && document.querySelector('table.sessions'));
    })()`);
    // Marks from the page's own clock, which starts at navigation.
    await chromium.send('Page.addScriptToEvaluateOnNewDocument', {
      source: `window.__firstLinesAt = null; window.__allLinesAt = new Promise((resolve) => {
        new MutationObserver(() => {
          if (window.__firstLinesAt === null && document.querySelector('.log .log-row:not([hidden])')) {
            window.__firstLinesAt = performance.now();
          }
          if (document.getElementById('log-summary')?.textContent === '100,000 lines; the session has ended.') {
            resolve(performance.now());
          }
        }).observe(document, { childList: true, subtree: true, characterData: true });
      });`,
    }, chromium.sessionId);
    const firstLines = [];
    const opens = [];
    for (let i = 0; i < RUNS; ++i) {
      await chromium.goto(`${server.url}/sessions/${id}`);
      opens.push(await chromium.evaluate('window.__allLinesAt'));
      firstLines.push(await chromium.evaluate('window.__firstLinesAt'));
    }
    return { firstLines, opens };
  } finally {
    await chromium.close();
  }
}

const server = await startServer({ dataDir });
const browser = await launchBrowser();
try {
  const tab = await openPage(browser, server);
  const { page } = tab;
  // Marks, from the page's own clock: when the table's rows were replaced, and the long tasks.
  await tab.context.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__longTasks.push({ start: entry.startTime, duration: entry.duration });
    }).observe({ type: 'longtask', buffered: true });
    window.__rowsAt = null;
    window.__firstLinesAt = null;
    new MutationObserver(() => {
      if (window.__rowsAt === null && document.querySelector('table.sessions tbody tr[data-id]')) {
        window.__rowsAt = performance.now();
      }
      if (window.__firstLinesAt === null && document.querySelector('.log .log-row:not([hidden])')) {
        window.__firstLinesAt = performance.now();
      }
    }).observe(document, { childList: true, subtree: true });
  });
  await signIn(page, server, 'admin', ADMIN_PASSWORD, '/sessions');
  await page.locator('table.sessions tbody tr[data-id]').first().waitFor();
  const total = await page.locator('#sessions-summary').textContent();
  console.error(`store: ${total}`);

  // 1. The first load, with an empty cache: bytes on the wire (headers included), files and API apart.
  const cdp = await tab.context.newCDPSession(page);
  await cdp.send('Network.enable');
  const urls = new Map();
  let assetBytes = 0;
  let apiBytes = 0;
  cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url));
  cdp.on('Network.loadingFinished', (e) => {
    const url = urls.get(e.requestId);
    if (url === undefined) return; // began before the measure
    if (new URL(url).pathname.startsWith('/api/')) apiBytes += e.encodedDataLength;
    else assetBytes += e.encodedDataLength;
  });
  await cdp.send('Network.clearBrowserCache');
  await page.goto(`${server.url}/sessions`);
  await page.locator('table.sessions tbody tr[data-id]').first().waitFor();
  await page.waitForLoadState('networkidle').catch(() => {});
  report('first load: console files transferred (compressed, headers included)', `${(assetBytes / 1024).toFixed(1)} KB`, '≤ 150 KB');
  report('first load: API answers transferred', `${(apiBytes / 1024).toFixed(1)} KB`, '');

  // 2. First rows of the sessions page after navigation (a reload: token refresh, then the first page).
  const firstRows = [];
  for (let i = 0; i < RUNS; ++i) {
    await page.reload();
    await page.locator('table.sessions tbody tr[data-id]').first().waitFor();
    firstRows.push(await page.evaluate(() => window.__rowsAt));
  }
  report(`sessions page: first rows after navigation (median of ${RUNS})`, `${median(firstRows).toFixed(0)} ms`, '≤ 300 ms');

  // 3. Moving to another page of the table: from the click to the new rows.
  const move = async (action) => page.evaluate(async (how) => {
    const body = document.querySelector('table.sessions tbody');
    const before = body.querySelector('tr').dataset.id;
    const start = performance.now();
    const done = new Promise((resolve) => {
      const check = () => {
        const now = document.querySelector('table.sessions tbody tr');
        if (now && now.dataset.id !== before) resolve(performance.now() - start);
        else requestAnimationFrame(check);
      };
      check();
    });
    if (how.startsWith('link:')) {
      [...document.querySelectorAll('.pager a')].find((a) => a.textContent === how.slice(5)).click();
    } else {
      document.getElementById('page-number').value = how.slice(5);
      document.querySelector('.pager .goto button').click();
    }
    return done;
  }, action);
  const moves = {};
  for (const action of ['link:Next', 'page:16667', 'link:Last', 'link:First', 'page:33000']) {
    moves[action] = [];
  }
  for (let i = 0; i < RUNS; ++i) {
    for (const action of Object.keys(moves)) {
      moves[action].push(await move(action));
    }
  }
  for (const [action, times] of Object.entries(moves)) {
    report(`sessions page: to ${action.replace('link:', '').replace('page:', 'page ')} (median of ${RUNS})`,
      `${median(times).toFixed(0)} ms`, '≤ 100 ms');
  }

  // 4. A log of 100,000 lines: open (until every line is there) and scroll through it.
  const session = await server.api('POST', '/api/v1/jobSessions', { type: 'PolicyBackup', status: 'Running' }, 201);
  for (let batch = 0; batch < 100; ++batch) {
    const log = Array.from({ length: 1000 }, (_, i) => ({
      status: 'Success', message: `copied /srv/data/project-${batch}/file-${i}.bin (${(i * 7919) % 100000} bytes)`,
    }));
    await server.api('POST', `/api/v1/jobSessions/${session.id}/log`, { log }, 201);
  }
  await server.api('PATCH', `/api/v1/jobSessions/${session.id}`, { status: 'Success' }, 200);
  const opens = [];
  const firstLines = [];
  let longDuringOpen = 0;
  for (let i = 0; i < RUNS; ++i) {
    await page.goto(`${server.url}/sessions/${session.id}`);
    const start = await page.evaluate(() => performance.timeOrigin);
    await page.locator('#log-summary', { hasText: '100,000 lines; the session has ended.' }).waitFor({ timeout: 60_000 });
    const end = await page.evaluate(() => performance.timeOrigin + performance.now());
    opens.push(end - start);
    firstLines.push(await page.evaluate(() => window.__firstLinesAt));
    longDuringOpen = Math.max(longDuringOpen, ...(await page.evaluate(() => window.__longTasks.map((t) => t.duration))), 0);
  }
  report(`log of 100,000 lines: first lines shown (median of ${RUNS})`, `${median(firstLines).toFixed(0)} ms`, '');
  report(`log of 100,000 lines: open, every line loaded, under DevTools network instrumentation (median of ${RUNS})`,
    `${median(opens).toFixed(0)} ms`, '');
  const plain = await openLogInPlainChromium(session.id);
  report(`log of 100,000 lines: first lines shown, browser as a user runs it (median of ${RUNS})`,
    `${median(plain.firstLines).toFixed(0)} ms`, '');
  report(`log of 100,000 lines: open, every line loaded, browser as a user runs it (median of ${RUNS})`,
    `${median(plain.opens).toFixed(0)} ms`, '≤ 1 s');
  report('log of 100,000 lines: longest task while opening', `${longDuringOpen.toFixed(0)} ms`, '');
  const scroll = await page.evaluate(async () => {
    const log = document.querySelector('.log');
    const from = performance.now();
    log.scrollTop = 0;
    await new Promise((resolve) => {
      const step = () => {
        log.scrollTop += 4000;
        if (log.scrollTop + log.clientHeight >= log.scrollHeight) resolve();
        else requestAnimationFrame(step);
      };
      requestAnimationFrame(step);
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const tasks = window.__longTasks.filter((t) => t.start >= from);
    return { frames: Math.round(log.scrollHeight / 4000), longest: Math.max(0, ...tasks.map((t) => t.duration)), count: tasks.length };
  });
  report(`log of 100,000 lines: scrolled top to bottom in ${scroll.frames} frames, long tasks (> 50 ms)`,
    `${scroll.count} (longest ${scroll.longest.toFixed(0)} ms)`, 'none over 50 ms');

  // 5. An open sessions page while nothing changes: requests and the server's CPU over a minute, beside the
  // server's CPU over a minute with no console open.
  await page.goto('about:blank');
  await page.waitForTimeout(2000);
  const idleTicks = server.cpuTicks();
  await page.waitForTimeout(60_000);
  report('no console open, for 60 s: server CPU', `${(server.cpuTicks() - idleTicks) * 10} ms`, '');
  await page.goto(`${server.url}/sessions`);
  await page.locator('table.sessions tbody tr[data-id]').first().waitFor();
  await page.waitForTimeout(2000);
  let requests = 0;
  cdp.on('Network.requestWillBeSent', () => ++requests);
  const ticks = server.cpuTicks();
  await page.waitForTimeout(60_000);
  report('open sessions page, nothing changing, for 60 s: requests', String(requests), 'the long poll only');
  report('open sessions page, nothing changing, for 60 s: server CPU', `${((server.cpuTicks() - ticks) * 10)} ms`, '≈ 0');
  tab.check();
  await tab.close();
} finally {
  await browser.close();
  await server.stop();
}

console.log('| measure | result | goal |\n| --- | --- | --- |');
for (const { what, value, goal } of results) {
  console.log(`| ${what} | ${value} | ${goal} |`);
}
