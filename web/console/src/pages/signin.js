import { ApiProblem, signIn } from '../api.js';
import { h, replace } from '../dom.js';
import { navigate } from '../nav.js';

/** The sign-in page; afterwards, back to where the operator was (`?next=`). */
export function renderSignIn(main, query) {
  const error = h('p', { class: 'error', role: 'alert', id: 'signin-error' });
  const username = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true });
  const password = h('input', {
    id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true,
  });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h('form', {
    'aria-describedby': 'signin-error',
    onsubmit: async (event) => {
      event.preventDefault();
      submit.disabled = true;
      error.textContent = '';
      try {
        await signIn(username.value, password.value);
        const next = query.get('next');
        navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
      } catch (e) {
        error.textContent = e instanceof ApiProblem ? e.message : 'The server cannot be reached.';
        password.select();
      } finally {
        submit.disabled = false;
      }
    },
  },
  h('label', { for: 'username' }, 'User name'), username,
  h('label', { for: 'password' }, 'Password'), password,
  error, submit);
  replace(main, h('div', { class: 'card' }, h('h1', {}, 'Sign in to jobsessions'), form));
  username.focus();
}
