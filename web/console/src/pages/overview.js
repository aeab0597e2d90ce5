import { getJson } from '../api.js';
import { h, replace } from '../dom.js';
import { TYPES, count, statusText, statusTone } from '../format.js';
import { durationChart } from '../chart.js';
import { watchChanges } from '../live.js';
import { statusBadge } from './sessions.js';

// Failures first: what an operator looks at in the morning.
const ORDER = ['Error', 'RunningWithError', 'Warning', 'RunningWithWarning', 'Canceled', 'NeverExecuted', 'Canceling',
  'Running', 'Pending', 'Success'];

/** The last 24 hours and 7 days, failures first, running now, and the recent runs of a type as a chart. */
export function renderOverview(main, _params, query) {
  const windows = [['Last 24 hours', 24], ['Last 7 days', 24 * 7]];
  const cards = h('div', { class: 'cards' });
  const failures = h('section', { 'aria-labelledby': 'failures-title' });
  const type = TYPES.includes(query.get('type')) ? query.get('type') : 'PolicyBackup';
  const typeSelect = h('select', { id: 'chart-type', onchange: () => {
    history.replaceState(null, '', `/?type=${typeSelect.value}`);
    loadChart(typeSelect.value);
  } }, TYPES.map((t) => h('option', { value: t, selected: t === type }, t)));
  const chartSlot = h('div');
  replace(main, h('h1', {}, 'Overview'), cards, failures,
    h('section', { 'aria-labelledby': 'chart-title' },
      h('div', { class: 'heading' }, h('h2', { id: 'chart-title' }, 'Recent runs by type'),
        h('div', {}, h('label', { for: 'chart-type' }, 'Type '), typeSelect)), chartSlot));

  async function loadCards() {
    const now = Date.now();
    const answers = await Promise.all(windows.map(([, hours]) => {
      const from = new Date(now - hours * 3600_000).toISOString();
      return getJson(`/api/v1/jobSessions/summary?FromUtc=${encodeURIComponent(from)}`).then((s) => [from, s]);
    }));
    replace(cards, answers.map(([from, summary], i) => h('section', { class: 'card summary-card' },
      h('h2', {}, windows[i][0]),
      h('p', { class: 'big' }, `${count(summary.totalCount)} sessions`),
      h('p', {}, h('a', { href: '/sessions?status=Running' }, `${count(summary.runningNow)} running now`)),
      h('ul', { class: 'counts' }, ORDER.filter((s) => summary.statusCounts[s] > 0).map((s) =>
        h('li', { class: statusTone(s) },
          h('a', { href: `/sessions?status=${s}&from=${encodeURIComponent(from)}` },
            h('span', { class: 'count' }, count(summary.statusCounts[s])), ` ${statusText(s)}`)))))));
    const from = answers[1][0];
    const failed = await getJson(`/api/v1/jobSessions?Status=Error&FromUtc=${encodeURIComponent(from)}&limit=5`);
    replace(failures, h('h2', { id: 'failures-title' }, 'Latest failures'),
      failed.results.length === 0 ? h('p', { class: 'empty' }, 'No failures in the last 7 days.')
        : h('ul', { class: 'failures' }, failed.results.map((s) => h('li', {},
          statusBadge(s.status), ' ',
          h('a', { href: `/sessions/${encodeURIComponent(s.id)}` },
            `#${s.id} ${s.backupJobInfo?.policyName ?? s.localizedType}`),
          ` — ${new Date(s.executionStartTime).toLocaleString()}`))));
  }

  let chart = null;
  async function loadChart(chosen) {
    const page = await getJson(`/api/v1/jobSessions?Types=${chosen}&limit=60`);
    chart?.remove();
    chart = durationChart(page.results, { label: `Durations of the last ${page.results.length} ${chosen} runs` });
    replace(chartSlot, chart.element);
  }

  let pending = null;
  const refresh = () => {
    // Many changes at once make one refresh.
    if (!pending) {
      pending = setTimeout(() => {
        pending = null;
        loadCards().catch(() => {});
        loadChart(typeSelect.value).catch(() => {});
      }, 300);
    }
  };
  loadCards().catch(() => {});
  loadChart(type).catch(() => {});
  const stopWatching = watchChanges(refresh);
  return () => {
    stopWatching();
    clearTimeout(pending);
    chart?.remove();
  };
}
