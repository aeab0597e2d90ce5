import { ApiProblem, getJson, may } from '../api.js';
import { announce, h, replace } from '../dom.js';
import { timeText } from '../format.js';
import { durationChart } from '../chart.js';
import { watchChanges } from '../live.js';
import { navigate } from '../nav.js';
import { deletePolicy, runNow, setEnabled } from './policies.js';
import { statusBadge } from './sessions.js';

/** One policy: its definition, its runs' durations as a chart, and what the role may do with it. */
export function renderPolicy(main, [id]) {
  let chart = null;
  async function load() {
    let policy;
    try {
      policy = await getJson(`/api/v1/policies/${encodeURIComponent(id)}`);
    } catch (e) {
      if (e instanceof ApiProblem && e.status === 404) {
        replace(main, h('h1', {}, 'Not found'), h('p', {}, e.message), h('a', { href: '/policies' }, 'All policies'));
      }
      return;
    }
    const runs = await getJson(`/api/v1/jobSessions?PolicyId=${encodeURIComponent(id)}&limit=60`);
    const env = Object.entries(policy.environment ?? {}).map(([k, v]) => `${k}=${v}`).join('\n');
    const pairs = [
      ['Description', policy.description || '—'],
      ['Command', h('code', {}, JSON.stringify(policy.command))],
      ['Schedule', h('code', {}, policy.schedule || 'started by hand only')],
      ['Enabled', policy.enabled ? 'Yes' : 'No'],
      ['Next run', policy.nextRunUtc ? timeText(policy.nextRunUtc) : '—'],
      ['Last run', policy.lastRun ? [statusBadge(policy.lastRun.status), ' ',
        h('a', { href: `/sessions/${encodeURIComponent(policy.lastRun.sessionId)}` },
          timeText(policy.lastRun.executionStartTime))] : '—'],
      ['Session type', policy.sessionType],
      ['Working directory', policy.workingDirectory || 'the data directory'],
      ['Environment', env ? h('pre', {}, env) : '—'],
      ['Timeout', policy.timeoutSeconds === null ? 'none' : `${policy.timeoutSeconds} s`],
      ['Warning exit codes', (policy.warningExitCodes ?? []).join(', ') || '—'],
      ['Retention', policy.retentionDays === null ? 'the server default' : `${policy.retentionDays} days`],
      ['Runs at once', String(policy.maxConcurrentRuns)],
    ];
    chart?.remove();
    chart = durationChart(runs.results, { label: `Durations of the last ${runs.results.length} runs` });
    replace(main,
      h('div', { class: 'heading' }, h('h1', {}, policy.name), h('div', { class: 'actions' },
        may('operate') && h('button', { onclick: () => runNow(policy) }, 'Run now'),
        may('administer') && [
          h('button', { class: 'secondary',
            onclick: () => setEnabled(policy, !policy.enabled).then(load, (e) => announce(e.message, 'error')) },
          policy.enabled ? 'Disable' : 'Enable'),
          h('a', { class: 'button secondary', href: `/policies/${encodeURIComponent(id)}/edit` }, 'Edit'),
          h('button', { class: 'danger',
            onclick: () => deletePolicy(policy).then((gone) => gone && navigate('/policies'),
              (e) => announce(e.message, 'error')) }, 'Delete'),
        ])),
      h('dl', { class: 'fields' }, pairs.flatMap(([t, v]) => [h('dt', {}, t), h('dd', {}, v)])),
      h('section', { 'aria-label': 'Runs' }, chart.element,
        h('p', {}, h('a', { href: `/sessions?policy=${encodeURIComponent(id)}` }, 'All sessions of this policy'))));
  }
  load();
  const stopWatching = watchChanges((sessions) => {
    if (sessions.some((s) => s.backupJobInfo?.policyId === id)) {
      load();
    }
  });
  return () => {
    stopWatching();
    chart?.remove();
  };
}
