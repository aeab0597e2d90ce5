import { ApiProblem, getJson } from '../api.js';
import { h, replace } from '../dom.js';
import {
  FINAL_STATUSES, STATUSES, TYPES, count, durationText, isoToLocalInput, localInputToIso, statusText, statusTone,
  timeSpanMs, timeText,
} from '../format.js';
import { watchChanges } from '../live.js';
import { navigate } from '../nav.js';

const PAGE_SIZES = [30, 100, 500];

/** A status as a coloured badge that also says it in words. */
export function statusBadge(status) {
  return h('span', { class: `badge ${statusTone(status)}` }, statusText(status));
}

/** The console's address parameters → the collection's query (contract §5). */
export function apiQuery(query) {
  const api = new URLSearchParams();
  for (const type of query.getAll('type')) api.append('Types', type);
  for (const status of query.getAll('status')) api.append('Status', status);
  if (query.get('policy')) api.set('PolicyId', query.get('policy'));
  if (query.get('from')) api.set('FromUtc', query.get('from'));
  if (query.get('to')) api.set('ToUtc', query.get('to'));
  if (query.get('text')) api.set('Filter', query.get('text'));
  return api;
}

// Which filter input a parameter named in a 400 belongs to.
const FIELD_OF_PARAMETER = { types: 'type', status: 'status', policyid: 'policy', fromutc: 'from', toutc: 'to',
  filter: 'text', offset: 'page', limit: 'page' };

/** Running durations grow by the time passed since they were read (the server's clock, not the browser's). */
export function tickingDuration(session, readAt) {
  const cell = h('span', {}, durationText(timeSpanMs(session.executionDuration)));
  if (!FINAL_STATUSES.has(session.status)) {
    cell.dataset.ticking = String(timeSpanMs(session.executionDuration) - readAt);
  }
  return cell;
}

export function tick(root) {
  const now = performance.now();
  for (const cell of root.querySelectorAll('[data-ticking]')) {
    cell.textContent = durationText(Number(cell.dataset.ticking) + now);
  }
}

/** The sessions table: filters in the address, paging, live. */
export function renderSessions(main, _params, query) {
  const offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);
  const limit = PAGE_SIZES.includes(Number(query.get('limit'))) ? Number(query.get('limit')) : PAGE_SIZES[0];

  const control = (name, label, input) => [
    h('label', { for: `filter-${name}` }, label),
    input,
    h('span', { class: 'field-error', id: `filter-${name}-error` }),
  ];
  const option = (value, text, selected) => h('option', { value, selected }, text);
  const typeSelect = h('select', { id: 'filter-type', name: 'type', 'aria-describedby': 'filter-type-error' },
    option('', 'All types'), TYPES.map((t) => option(t, t, query.get('type') === t)));
  const statusSelect = h('select', { id: 'filter-status', name: 'status', 'aria-describedby': 'filter-status-error' },
    option('', 'All statuses'), STATUSES.map((s) => option(s, statusText(s), query.get('status') === s)));
  const policySelect = h('select', { id: 'filter-policy', name: 'policy', 'aria-describedby': 'filter-policy-error' },
    option('', 'All policies'));
  if (query.get('policy')) {
    policySelect.appendChild(option(query.get('policy'), query.get('policy'), true));
  }
  const fromInput = h('input', { id: 'filter-from', name: 'from', type: 'datetime-local',
    value: isoToLocalInput(query.get('from')), 'aria-describedby': 'filter-from-error' });
  const toInput = h('input', { id: 'filter-to', name: 'to', type: 'datetime-local',
    value: isoToLocalInput(query.get('to')), 'aria-describedby': 'filter-to-error' });
  const textInput = h('input', { id: 'filter-text', name: 'text', type: 'search', value: query.get('text') ?? '',
    placeholder: 'Policy or type', 'aria-describedby': 'filter-text-error' });

  const apply = () => {
    const next = new URLSearchParams();
    if (typeSelect.value) next.set('type', typeSelect.value);
    if (statusSelect.value) next.set('status', statusSelect.value);
    if (policySelect.value) next.set('policy', policySelect.value);
    if (fromInput.value) next.set('from', localInputToIso(fromInput.value));
    if (toInput.value) next.set('to', localInputToIso(toInput.value));
    if (textInput.value.trim()) next.set('text', textInput.value.trim());
    if (limit !== PAGE_SIZES[0]) next.set('limit', String(limit));
    navigate(`/sessions${next.size ? `?${next}` : ''}`);
  };
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter sessions',
    onsubmit: (e) => { e.preventDefault(); apply(); } },
  h('div', {}, control('type', 'Type', typeSelect)),
  h('div', {}, control('status', 'Status', statusSelect)),
  h('div', {}, control('policy', 'Policy', policySelect)),
  h('div', {}, control('from', 'Started from', fromInput)),
  h('div', {}, control('to', 'Started before', toInput)),
  h('div', {}, control('text', 'Text', textInput)),
  h('div', { class: 'filter-actions' },
    h('button', { type: 'submit' }, 'Apply'),
    h('a', { href: '/sessions', class: 'button secondary' }, 'Clear')));
  for (const select of [typeSelect, statusSelect, policySelect]) {
    select.addEventListener('change', apply);
  }

  const summary = h('p', { class: 'summary', 'aria-live': 'polite', id: 'sessions-summary' }, 'Loading…');
  const live = h('span', { class: 'live', title: 'New and changed sessions appear by themselves' }, 'Live');
  const body = h('tbody');
  const table = h('table', { class: 'sessions' },
    h('caption', { class: 'visually-hidden' }, 'Sessions, newest first'),
    h('thead', {}, h('tr', {}, ['Session', 'Status', 'Type', 'Policy', 'Start', 'Stop', 'Duration']
      .map((t) => h('th', { scope: 'col' }, t)))),
    body);
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  const generalError = h('p', { class: 'error', role: 'alert' });
  replace(main, h('div', { class: 'heading' }, h('h1', {}, 'Sessions'), live), form, generalError, summary,
    h('div', { class: 'table-wrap' }, table), pager);

  getJson('/api/v1/policies').then((policies) => {
    const chosen = query.get('policy');
    replace(policySelect, option('', 'All policies'),
      policies.results.map((p) => option(p.id, p.name, p.id === chosen)));
  }).catch(() => {});

  const pageUrl = (at, size = limit) => {
    const next = new URLSearchParams(query);
    next.set('offset', String(at));
    next.set('limit', String(size));
    if (at === 0) next.delete('offset');
    if (size === PAGE_SIZES[0]) next.delete('limit');
    return `/sessions${next.size ? `?${next}` : ''}`;
  };

  let loading = null;
  let again = false;
  async function load() {
    if (loading) {
      again = true; // one more load after this one, for changes that came meanwhile
      return;
    }
    const api = apiQuery(query);
    api.set('offset', String(offset));
    api.set('limit', String(limit));
    loading = getJson(`/api/v1/jobSessions?${api}`);
    try {
      const page = await loading;
      const readAt = performance.now();
      showPage(page, readAt);
    } catch (e) {
      if (e instanceof ApiProblem && e.status === 400) {
        for (const [parameter, messages] of Object.entries(e.errors)) {
          const field = FIELD_OF_PARAMETER[parameter.toLowerCase()];
          const slot = field && document.getElementById(`filter-${field}-error`);
          if (slot) {
            slot.textContent = messages.join(' ');
          } else {
            generalError.textContent = `${parameter}: ${messages.join(' ')}`;
          }
        }
        summary.textContent = 'The filters need a change.';
      } else if (!(e instanceof ApiProblem && e.status === 401)) {
        generalError.textContent = e.message;
      }
    } finally {
      loading = null;
      if (again) {
        again = false;
        load();
      }
    }
  }

  function showPage(page, readAt) {
    generalError.textContent = '';
    const rows = page.results.map((s) => {
      const info = s.backupJobInfo;
      return h('tr', { dataset: { id: s.id } },
        h('td', {}, h('a', { href: `/sessions/${encodeURIComponent(s.id)}` }, `#${s.id}`)),
        h('td', {}, statusBadge(s.status)),
        h('td', {}, s.localizedType),
        h('td', {}, info ? (info.policyRemoved ? info.policyName
          : h('a', { href: `/policies/${encodeURIComponent(info.policyId)}` }, info.policyName)) : '—'),
        h('td', {}, h('time', { datetime: s.executionStartTime }, timeText(s.executionStartTime))),
        h('td', {}, s.executionStopTime ? h('time', { datetime: s.executionStopTime }, timeText(s.executionStopTime))
          : '—'),
        h('td', { class: 'number' }, tickingDuration(s, readAt)));
    });
    replace(body, rows.length ? rows : h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'No sessions match.')));
    const first = page.totalCount === 0 ? 0 : offset + 1;
    const last = offset + page.results.length;
    summary.textContent = `${count(first)}–${count(last)} of ${count(page.totalCount)} sessions`;

    const lastOffset = page.totalCount === 0 ? 0 : Math.floor((page.totalCount - 1) / limit) * limit;
    const link = (label, at, disabled) => disabled
      ? h('span', { class: 'button secondary', 'aria-disabled': 'true' }, label)
      : h('a', { class: 'button secondary', href: pageUrl(at) }, label);
    const pageNumber = h('input', { id: 'page-number', type: 'number', min: 1, max: lastOffset / limit + 1,
      value: Math.floor(offset / limit) + 1, class: 'page-number' });
    const sizeSelect = h('select', { id: 'page-size', onchange: () => navigate(pageUrl(0, Number(sizeSelect.value))) },
      PAGE_SIZES.map((n) => h('option', { value: n, selected: n === limit }, `${n} per page`)));
    replace(pager,
      link('First', 0, offset === 0),
      link('Previous', Math.max(0, offset - limit), offset === 0),
      h('form', { class: 'goto', onsubmit: (e) => {
        e.preventDefault();
        const n = Math.min(Math.max(1, Number(pageNumber.value) || 1), lastOffset / limit + 1);
        navigate(pageUrl((n - 1) * limit));
      } }, h('label', { for: 'page-number' }, 'Page'), pageNumber,
      h('span', {}, `of ${count(lastOffset / limit + 1)}`), h('button', { class: 'secondary' }, 'Go')),
      link('Next', offset + limit, last >= page.totalCount),
      link('Last', lastOffset, offset >= lastOffset),
      h('label', { for: 'page-size', class: 'visually-hidden' }, 'Page size'), sizeSelect);
  }

  load();
  const stopWatching = watchChanges(() => load());
  const ticker = setInterval(() => tick(body), 1000);
  return () => {
    stopWatching();
    clearInterval(ticker);
  };
}
