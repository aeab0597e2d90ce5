// A real jobsessiond for the browser tests: HTTPS on a free port of 127.0.0.1, a fresh data directory, stopped
// (and its directory removed) afterwards. JOBSESSIOND_BINARY names the server (ctest sets it).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ADMIN_PASSWORD = 'console-test-admin-password';
const binary = process.env.JOBSESSIOND_BINARY;

/** Resolves once `condition()` holds, asking again every 50 ms for at most `seconds`. */
export async function until(condition, seconds = 20) {
  const deadline = Date.now() + seconds * 1000;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`not so after ${seconds} s: ${condition}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts jobsessiond on a new data directory, or on `dataDir` (kept when it stops: a benchmark's store). */
export async function startServer({ dataDir } = {}) {
  if (!binary) {
    throw new Error('JOBSESSIOND_BINARY must name the jobsessiond to test');
  }
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'jobsessions-browser-'));
  chmodSync(dir, 0o700);
  const { child, url } = await launch(dir, '127.0.0.1:0');
  const server = new Server(url, dir, child, readFileSync(join(dir, 'tls', 'cert.pem')));
  server.keepData = dataDir !== undefined;
  return server;
}

async function launch(dataDir, listen) {
  const child = spawn(binary, ['--listen', listen, '--data-dir', dataDir], {
    // No configuration file: the machine's /etc/jobsessions/jobsessiond.conf is not the test's.
    env: { PATH: process.env.PATH, JOBSESSIOND_ADMIN_PASSWORD: ADMIN_PASSWORD, JOBSESSIOND_CONFIG: '/dev/null' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const seen = (chunk) => {
      output += chunk;
      const match = /listening on (https:\/\/[^\s]+)/.exec(output);
      if (match) {
        resolve(match[1]);
      }
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.on('exit', (code) => reject(new Error(`jobsessiond exited with ${code} before listening:\n${output}`)));
  });
  return { child, url };
}

class Server {
  constructor(url, dataDir, child, certificate) {
    this.url = url;
    this.origin = new URL(url).origin;
    this.dataDir = dataDir;
    this.child = child;
    this.certificate = certificate;
    this.tokens = new Map();
  }

  /** Stops the server; its data directory goes too unless `keepData` (for restart()). */
  async stop({ keepData = false } = {}) {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    if (!keepData && !this.keepData) {
      rmSync(this.dataDir, { recursive: true, force: true });
    }
  }

  /** Starts the stopped server again on the same address and data. */
  async restart() {
    const { child } = await launch(this.dataDir, new URL(this.url).host);
    this.child = child;
  }

  /** Adds a user through the server's own command (the password on standard input). */
  addUser(name, role, password) {
    const result = spawnSync(binary, ['user', 'add', name, '--role', role, '--data-dir', this.dataDir], {
      input: `${password}\n`, encoding: 'utf8',
    });
    if (result.status !== 0) {
      throw new Error(`user add failed: ${result.stderr}`);
    }
  }

  /** The server's CPU time so far (user + system), in clock ticks, from /proc. */
  cpuTicks() {
    const fields = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]);
  }

  /** Runs `jobsessiond user ARGS... --data-dir DIR`. */
  runUserCommand(args, input = '') {
    return spawnSync(binary, ['user', ...args, '--data-dir', this.dataDir], { input, encoding: 'utf8' });
  }

  /** One request to the API, trusting exactly this server's certificate. Answers { status, headers, body }. */
  fetch(method, path, { body, token, headers = {}, form } = {}) {
    const sent = form !== undefined ? new URLSearchParams(form).toString()
      : body !== undefined ? JSON.stringify(body) : undefined;
    const allHeaders = { ...headers };
    if (token) allHeaders.Authorization = `Bearer ${token}`;
    if (form !== undefined) allHeaders['Content-Type'] = 'application/x-www-form-urlencoded';
    else if (body !== undefined) allHeaders['Content-Type'] = 'application/json';
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, this.url), {
        method, headers: allHeaders, ca: this.certificate, checkServerIdentity: () => undefined,
      }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json = null;
          try {
            json = text ? JSON.parse(text) : null;
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode, headers: res.headers, text, json });
        });
      });
      req.on('error', reject);
      if (sent !== undefined) req.write(sent);
      req.end();
    });
  }

  async token(username = 'admin', password = ADMIN_PASSWORD) {
    if (!this.tokens.has(username)) {
      const res = await this.fetch('POST', '/api/oauth2/token', { form: { username, password } });
      if (res.status !== 200) throw new Error(`sign-in of ${username} failed: ${res.text}`);
      this.tokens.set(username, res.json.access_token);
    }
    return this.tokens.get(username);
  }

  /** Calls the API as the administrator and expects `status`; answers the parsed body. */
  async api(method, path, body, status) {
    const res = await this.fetch(method, path, { body, token: await this.token() });
    if (status !== undefined && res.status !== status) {
      throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
    }
    return res.json;
  }
}
