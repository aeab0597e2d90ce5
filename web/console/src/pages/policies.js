import { call, getJson, may } from '../api.js';
import { announce, confirmDialog, h, replace } from '../dom.js';
import { timeText } from '../format.js';
import { watchChanges } from '../live.js';
import { navigate } from '../nav.js';
import { statusBadge } from './sessions.js';

/** Runs a policy now and opens its session, live. */
export async function runNow(policy) {
  try {
    const response = await call(`/api/v1/policies/${encodeURIComponent(policy.id)}/start`, { method: 'POST' });
    const session = await response.json();
    navigate(`/sessions/${encodeURIComponent(session.id)}`);
  } catch (e) {
    announce(e.message, 'error');
  }
}

/** Turns a policy on or off: its definition sent back with `enabled` changed. */
export async function setEnabled(policy, enabled) {
  const definition = { ...policy, enabled };
  for (const key of ['id', 'usn', '_links', 'nextRunUtc', 'lastRun']) {
    delete definition[key];
  }
  await call(`/api/v1/policies/${encodeURIComponent(policy.id)}`, { method: 'PUT', json: definition });
  announce(`${policy.name} is ${enabled ? 'enabled' : 'disabled'}.`);
}

export async function deletePolicy(policy) {
  if (!(await confirmDialog(`Delete ${policy.name}?`,
    'The policy goes; its sessions stay, marked as of a removed policy.', 'Delete policy'))) {
    return false;
  }
  await call(`/api/v1/policies/${encodeURIComponent(policy.id)}`, { method: 'DELETE' });
  announce(`${policy.name} is deleted.`);
  return true;
}

/** The policies: schedule, enabled, last run, next run; run, enable, edit and delete by role. */
export function renderPolicies(main) {
  const body = h('tbody');
  const error = h('p', { class: 'error', role: 'alert' });
  replace(main,
    h('div', { class: 'heading' }, h('h1', {}, 'Policies'),
      may('administer') && h('a', { class: 'button', href: '/policies/new' }, 'New policy')),
    error,
    h('div', { class: 'table-wrap' }, h('table', { class: 'policies' },
      h('caption', { class: 'visually-hidden' }, 'Policies'),
      h('thead', {}, h('tr', {}, ['Name', 'Schedule', 'Enabled', 'Last run', 'Next run', 'Actions']
        .map((t) => h('th', { scope: 'col' }, t)))), body)));

  async function load() {
    try {
      const { results } = await getJson('/api/v1/policies');
      replace(body, results.length === 0
        ? h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No policies yet.'))
        : results.map((p) => h('tr', { dataset: { id: p.id } },
          h('td', {}, h('a', { href: `/policies/${encodeURIComponent(p.id)}` }, p.name)),
          h('td', {}, h('code', {}, p.schedule || 'by hand')),
          h('td', {}, p.enabled ? 'Yes' : 'No'),
          h('td', {}, p.lastRun ? [statusBadge(p.lastRun.status), ' ',
            h('a', { href: `/sessions/${encodeURIComponent(p.lastRun.sessionId)}` },
              timeText(p.lastRun.executionStartTime))] : '—'),
          h('td', {}, p.nextRunUtc ? h('time', { datetime: p.nextRunUtc }, timeText(p.nextRunUtc)) : '—'),
          h('td', { class: 'row-actions' },
            may('operate') && h('button', { class: 'secondary', onclick: () => runNow(p),
              'aria-label': `Run now: ${p.name}` }, 'Run now'),
            may('administer') && [
              h('button', { class: 'secondary', 'aria-label': `${p.enabled ? 'Disable' : 'Enable'} ${p.name}`,
                onclick: () => setEnabled(p, !p.enabled).then(load, (e) => announce(e.message, 'error')) },
              p.enabled ? 'Disable' : 'Enable'),
              h('a', { class: 'button secondary', href: `/policies/${encodeURIComponent(p.id)}/edit`,
                'aria-label': `Edit ${p.name}` }, 'Edit'),
              h('button', { class: 'danger', 'aria-label': `Delete ${p.name}`,
                onclick: () => deletePolicy(p).then((gone) => gone && load(), (e) => announce(e.message, 'error')) },
              'Delete'),
            ]))));
    } catch (e) {
      error.textContent = e.message;
    }
  }
  load();
  // A run's start and end change a policy's last run.
  return watchChanges(() => load());
}
