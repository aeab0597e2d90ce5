// The jobsessions web console: a few pages over the public API, routed by the address bar so that every view
// is a link.
import 'uplot/dist/uPlot.min.css';
import './console.css';
import { currentLogin, onSignedOut, refresh, signOut } from './api.js';
import { h, replace } from './dom.js';
import { navigate, onNavigate } from './nav.js';
import { renderOverview } from './pages/overview.js';
import { renderPolicies } from './pages/policies.js';
import { renderPolicy } from './pages/policy.js';
import { renderPolicyForm } from './pages/policy_form.js';
import { renderSession } from './pages/session.js';
import { renderSessions } from './pages/sessions.js';
import { renderSignIn } from './pages/signin.js';

const routes = [
  [/^\/$/, () => renderOverview],
  [/^\/sessions$/, () => renderSessions],
  [/^\/sessions\/([^/]+)$/, () => renderSession],
  [/^\/policies$/, () => renderPolicies],
  [/^\/policies\/new$/, () => renderPolicyForm],
  [/^\/policies\/([^/]+)\/edit$/, () => renderPolicyForm],
  [/^\/policies\/([^/]+)$/, () => renderPolicy],
];

const app = document.getElementById('app');
let shownPath = null; // the page shown last
let leave = null; // ends what the current page keeps running (long polls, log streams, timers)


// Links inside the console move without a reload; others (downloads, Swagger UI) behave as links do.
document.addEventListener('click', (event) => {
  const link = event.target.closest?.('a[href]');
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
      event.shiftKey || event.altKey || link.target || link.hasAttribute('download')) {
    return;
  }
  const url = new URL(link.href);
  if (url.pathname === location.pathname && url.search === location.search && url.hash) {
    return; // an anchor on this page, such as the skip link
  }
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/swagger') ||
      url.pathname === '/licenses.txt') {
    return;
  }
  event.preventDefault();
  navigate(url.pathname + url.search + url.hash);
});
window.addEventListener('popstate', () => show());
onSignedOut(() => {
  if (location.pathname !== '/signin') {
    navigate(`/signin?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
  }
});

function layout(main) {
  const login = currentLogin();
  const here = location.pathname;
  const item = (href, text) =>
    h('li', {}, h('a', { href, 'aria-current': (href === '/' ? here === '/' : here.startsWith(href)) && 'page' }, text));
  return [
    h('header', { class: 'top' },
      h('a', { class: 'brand', href: '/' }, 'jobsessions'),
      h('nav', { 'aria-label': 'Main' },
        h('ul', {}, item('/', 'Overview'), item('/sessions', 'Sessions'), item('/policies', 'Policies'),
          h('li', {}, h('a', { href: '/swagger' }, 'API')))),
      h('div', { class: 'who' },
        h('span', {}, `${login.username} · ${login.role}`),
        h('button', {
          class: 'secondary',
          onclick: async () => {
            await signOut();
            navigate('/signin', { replace: true });
          },
        }, 'Sign out'))),
    main,
    h('footer', { class: 'bottom' }, h('a', { href: '/licenses.txt' }, 'Licences of the software it includes')),
  ];
}

async function show() {
  const focusedId = document.activeElement?.id;
  if (leave) {
    leave();
    leave = null;
  }
  const path = location.pathname;
  const query = new URLSearchParams(location.search);
  if (path === '/signin') {
    const main = h('main', { id: 'main', class: 'signin' });
    replace(app, main);
    leave = renderSignIn(main, query);
    return;
  }
  if (!currentLogin() && !(await refresh())) {
    navigate(`/signin?next=${encodeURIComponent(path + location.search)}`, { replace: true });
    return;
  }
  const main = h('main', { id: 'main', tabindex: '-1' });
  replace(app, ...layout(main));
  const found = routes.find(([pattern]) => pattern.test(path));
  if (!found) {
    replace(main, h('h1', {}, 'Not found'), h('p', {}, 'The console has no such page. '),
      h('a', { href: '/' }, 'Back to the overview'));
    return;
  }
  const params = path.match(found[0]).slice(1).map(decodeURIComponent);
  leave = found[1]()(main, params, query) ?? null;
  if (shownPath !== null && shownPath !== path) {
    main.focus({ preventScroll: true }); // on another page, a screen reader starts reading it
  } else if (focusedId) {
    document.getElementById(focusedId)?.focus(); // the same page anew (a filter, a page of the table)
  }
  shownPath = path;
}

onNavigate(show);
show();
