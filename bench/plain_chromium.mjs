// Headless Chromium driven over the DevTools protocol with nothing but Page and Runtime: no Network domain, so
// the browser does not copy every response body for DevTools as it does under playwright-core (which enables it
// on every page it drives). A response body read in the page then costs what it costs a user: measured here, 1 MB
// of log JSON read under the Network domain takes about 1.5 times as long. The protocol goes over a pipe
// (--remote-debugging-pipe: messages ended by a NUL byte on file descriptors 3 and 4), so no port is opened.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class PlainChromium {
  static async launch() {
    const profile = mkdtempSync(join(tmpdir(), 'jobsessions-bench-chromium-'));
    const child = spawn(process.env.JOBSESSIONS_CHROMIUM ?? '/usr/bin/chromium', [
      '--headless=new', '--no-sandbox', '--disable-gpu', '--remote-debugging-pipe', `--user-data-dir=${profile}`,
      // The server's certificate is self-signed; nothing else is fetched.
      '--ignore-certificate-errors', '--no-first-run', '--disable-background-networking', '--disable-extensions',
      '--disable-component-update', '--disable-sync', 'about:blank',
    ], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
    const browser = new PlainChromium(child, profile);
    const { targetInfos } = await browser.send('Target.getTargets');
    const page = targetInfos.find((t) => t.type === 'page');
    browser.sessionId = (await browser.send('Target.attachToTarget', { targetId: page.targetId, flatten: true })).sessionId;
    await browser.send('Page.enable', {}, browser.sessionId);
    return browser;
  }

  constructor(child, profile) {
    this.child = child;
    this.profile = profile;
    this.nextId = 0;
    this.waiting = new Map();
    this.events = [];
    let pending = '';
    child.stdio[4].on('data', (chunk) => {
      pending += chunk.toString('utf8');
      let end;
      while ((end = pending.indexOf('\0')) >= 0) {
        const message = JSON.parse(pending.slice(0, end));
        pending = pending.slice(end + 1);
        const answer = this.waiting.get(message.id);
        if (answer) {
          this.waiting.delete(message.id);
          if (message.error) answer.reject(new Error(`${answer.method}: ${message.error.message}`));
          else answer.resolve(message.result);
        } else if (message.method) {
          for (const listener of this.events) listener(message);
        }
      }
    });
  }

  send(method, params = {}, sessionId = undefined) {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, method });
      this.child.stdio[3].write(`${JSON.stringify({ id, method, params, sessionId })}\0`);
    });
  }

  /** Loads `url` in the page and resolves once its load event fired. */
  async goto(url) {
    const loaded = new Promise((resolve) => {
      const listener = (message) => {
        if (message.method === 'Page.loadEventFired' && message.sessionId === this.sessionId) {
          this.events.splice(this.events.indexOf(listener), 1);
          resolve();
        }
      };
      this.events.push(listener);
    });
    await this.send('Page.navigate', { url }, this.sessionId);
    await loaded;
  }

  /** The value of `expression` in the page (awaited when it is a promise). */
  async evaluate(expression) {
    const { result, exceptionDetails } = await this.send('Runtime.evaluate',
      { expression, awaitPromise: true, returnByValue: true }, this.sessionId);
    if (exceptionDetails) {
      throw new Error(`in the page: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
    }
    return result.value;
  }

  async close() {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    // Browser.close ends its helper processes too; a SIGTERM would leave them writing to the profile a moment.
    this.send('Browser.close').catch(() => this.child.kill('SIGTERM'));
    await exited;
    rmSync(this.profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }
}
