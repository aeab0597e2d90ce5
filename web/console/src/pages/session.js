import { ApiProblem, call, getJson, may } from '../api.js';
import { announce, confirmDialog, h, replace } from '../dom.js';
import { FINAL_STATUSES, timeText } from '../format.js';
import { followLog } from '../live.js';
import { VirtualLog } from '../virtual_log.js';
import { statusBadge, tick, tickingDuration } from './sessions.js';

const INFO_TITLES = {
  backupJobInfo: 'Backup job', restoreJobInfo: 'Restore job', repositoryJobInfo: 'Repository job',
  retentionJobInfo: 'Retention job',
};

const lineCount = (n) => `${n.toLocaleString('en-US')} ${n === 1 ? 'line' : 'lines'}`;

function definition(pairs) {
  return h('dl', { class: 'fields' }, pairs.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}

/** One session: its fields, its log live while it runs, stop and download. */
export function renderSession(main, [id]) {
  const fields = h('section', { 'aria-labelledby': 'session-fields' });
  const actions = h('div', { class: 'actions' });
  const connection = h('span', { class: 'live', hidden: true }, 'Live');
  const logStatus = h('p', { class: 'summary', id: 'log-summary' }, 'Loading the log…');
  const log = new VirtualLog();
  const title = h('h1', {}, `Session #${id}`);
  replace(main, h('div', { class: 'heading' }, title, actions), fields,
    h('section', { 'aria-labelledby': 'log-title' },
      h('div', { class: 'heading' }, h('h2', { id: 'log-title' }, 'Log'), connection), logStatus, log.element));

  let session = null;
  let readAt = 0;
  function showSession(s) {
    session = s;
    readAt = performance.now();
    const info = Object.entries(INFO_TITLES).filter(([key]) => s[key]).map(([key, name]) =>
      h('section', { class: 'info' }, h('h3', {}, name),
        definition(Object.entries(s[key]).map(([k, v]) => [k, v === null ? '—' : String(v)]))));
    const policy = s.backupJobInfo;
    replace(fields, h('h2', { id: 'session-fields', class: 'visually-hidden' }, 'Fields'),
      definition([
        ['Status', statusBadge(s.status)],
        ['Type', `${s.localizedType} (${s.type})`],
        ['Policy', policy ? (policy.policyRemoved ? `${policy.policyName} (removed)`
          : h('a', { href: `/policies/${encodeURIComponent(policy.policyId)}` }, policy.policyName)) : '—'],
        ['Start', h('time', { datetime: s.executionStartTime }, timeText(s.executionStartTime))],
        ['Stop', s.executionStopTime ? h('time', { datetime: s.executionStopTime }, timeText(s.executionStopTime)) : '—'],
        ['Duration', h('span', { class: 'duration' }, tickingDuration(s, readAt)), ` (${s.executionDuration})`],
        ['Usn', String(s.usn)],
      ]), info);
    showActions();
  }

  function showActions() {
    const buttons = [];
    if (session && may('operate') && !FINAL_STATUSES.has(session.status) && session.status !== 'Canceling') {
      buttons.push(h('button', { class: 'danger', onclick: stop }, 'Stop'));
    }
    buttons.push(h('button', { class: 'secondary', onclick: download }, 'Download log'));
    replace(actions, buttons);
  }

  async function stop() {
    if (!(await confirmDialog(`Stop session #${id}?`, 'Its command is stopped and the session ends Canceled.',
      'Stop session'))) {
      return;
    }
    try {
      await call(`/api/v1/jobSessions/${encodeURIComponent(id)}/stop`, { method: 'POST' });
      announce(`Session #${id} is stopping.`);
      showSession(await getJson(`/api/v1/jobSessions/${encodeURIComponent(id)}`));
    } catch (e) {
      announce(e.message, 'error');
    }
  }

  async function download() {
    try {
      const whole = await getJson(`/api/v1/jobSessions/${encodeURIComponent(id)}/log`);
      const text = whole.log.map((e) => `${e.logTime}\t${e.status}\t${e.message}\n`).join('');
      const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
      const link = h('a', { href: url, download: `session-${id}.log` });
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      announce(e.message, 'error');
    }
  }

  getJson(`/api/v1/jobSessions/${encodeURIComponent(id)}`).then(showSession).catch((e) => {
    if (e instanceof ApiProblem && e.status === 404) {
      replace(main, h('h1', {}, 'Not found'), h('p', {}, e.message), h('a', { href: '/sessions' }, 'All sessions'));
    }
  });

  const stopFollowing = followLog(id, {
    onEntries(entries) {
      log.append(entries);
      logStatus.textContent = lineCount(log.entries.length);
    },
    onStatus(s) {
      showSession(s);
    },
    onEnd() {
      connection.hidden = true;
      logStatus.textContent = `${lineCount(log.entries.length)}; the session has ended.`;
    },
    onError(e) {
      logStatus.textContent = e.message;
    },
    onConnection(open) {
      connection.hidden = false;
      connection.textContent = open ? 'Live' : 'Reconnecting…';
      connection.classList.toggle('lost', !open);
    },
  });
  const ticker = setInterval(() => tick(fields), 1000);
  return () => {
    stopFollowing();
    clearInterval(ticker);
  };
}
