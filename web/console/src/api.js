// The console's only way to the server: the public API, with the access token kept in this page's memory and
// the refresh token in an HttpOnly cookie that only the token endpoint receives.

const TOKEN_URL = '/api/oauth2/token';

/** An error answer of the API (problem+json): what to show, and for 400 the fields it names. */
export class ApiProblem extends Error {
  constructor(status, problem) {
    super(problem?.error_description || problem?.detail || problem?.title || `The server answered ${status}.`);
    this.status = status;
    this.problem = problem ?? {};
    this.errors = problem?.errors ?? {};
  }
}

let login = null; // { token, expiresAt (ms), username, role }
let refreshing = null; // the refresh in flight, shared by every caller of this page
const signedOutListeners = new Set();

export const currentLogin = () => login;

/** Called when the login is over (expired, revoked): the console shows the sign-in page. */
export function onSignedOut(listener) {
  signedOutListeners.add(listener);
}

/** What the signed-in role may do (contract §3); the server still decides. */
export function may(action) {
  const role = login?.role;
  switch (action) {
    case 'operate': return role === 'Operator' || role === 'Administrator';
    case 'administer': return role === 'Administrator';
    default: return Boolean(role);
  }
}

async function problemOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: the status alone
  }
  return new ApiProblem(response.status, body);
}

function keep(grant) {
  login = {
    token: grant.access_token,
    expiresAt: Date.now() + grant.expires_in * 1000,
    username: grant.username,
    role: grant.roleName,
  };
}

/** Signs in with the password grant; the refresh token comes back as a cookie only. */
export async function signIn(username, password) {
  const response = await fetch(TOKEN_URL, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', username, password, refresh_token_delivery: 'cookie' }),
    credentials: 'same-origin',
  });
  if (!response.ok) {
    throw await problemOf(response);
  }
  keep(await response.json());
}

/**
 * Trades the refresh cookie for a new access token. Refresh tokens are single-use, so tabs of the same browser
 * take turns (a Web Lock): each one then presents the newest cookie, never one another tab has spent.
 */
export function refresh() {
  // No login to resume (the server's hint cookie is gone with the refresh cookie): no request in vain.
  if (!document.cookie.split(';').some((c) => c.trim() === 'jobsessions_login=1')) {
    login = null;
    return Promise.resolve(false);
  }
  if (!refreshing) {
    const exchange = async () => {
      const response = await fetch(TOKEN_URL, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'refresh_token' }),
        credentials: 'same-origin',
      });
      if (!response.ok) {
        login = null;
        return false;
      }
      keep(await response.json());
      return true;
    };
    const locked = navigator.locks ? navigator.locks.request('jobsessions-refresh', exchange) : exchange();
    refreshing = locked.finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

/** Ends the login on the server (its refresh tokens stop working, the cookie is cleared). */
export async function signOut() {
  try {
    if (login) {
      await fetch(TOKEN_URL, { method: 'DELETE', headers: { Authorization: `Bearer ${login.token}` } });
    }
  } finally {
    login = null;
  }
}

function signedOut() {
  login = null;
  for (const listener of signedOutListeners) {
    listener();
  }
}

/**
 * Calls the API. `json` sends a JSON body; `accept` sets Accept. Answers the Response for 2xx, throws ApiProblem
 * otherwise. An expired access token is refreshed once; a login that cannot be refreshed signs the console out.
 */
export async function call(path, { method = 'GET', json, accept, signal, headers = {} } = {}) {
  if (!login || login.expiresAt - Date.now() < 30_000) {
    if (!(await refresh())) {
      signedOut();
      throw new ApiProblem(401, { detail: 'Your sign-in has ended.' });
    }
  }
  for (let attempt = 0; ; ++attempt) {
    const init = {
      method,
      signal,
      headers: { ...headers, Authorization: `Bearer ${login.token}` },
    };
    if (json !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(json);
    }
    if (accept) {
      init.headers.Accept = accept;
    }
    const response = await fetch(path, init);
    if (response.status === 401 && attempt === 0 && (await refresh())) {
      continue;
    }
    if (response.status === 401) {
      signedOut();
    }
    if (!response.ok) {
      throw await problemOf(response);
    }
    return response;
  }
}

/** GET (or another method) answering parsed JSON, or null for an empty body. */
export async function getJson(path, options) {
  const response = await call(path, options);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}
