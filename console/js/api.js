// The one module that talks to the staff API: bearer token, refresh, errors in the contract's shape.
// The session lives in sessionStorage: it ends with the browser tab, and never leaves this origin.

import { ERROR_MESSAGES } from './error-messages.js';

const BASE = '/api/v1';
const KEY = 'zjb.console.session';

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

export function currentSession() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || 'null');
  } catch {
    return null;
  }
}

/** The roles of the member of staff signed in here (empty when nobody is). */
export function myRoles() {
  const s = currentSession();
  return new Set((s && s.staff && s.staff.roles) || []);
}

function saveSession(s) {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}

function endSession(reason) {
  saveSession(null);
  window.dispatchEvent(new CustomEvent('zjb:session-ended', { detail: { reason } }));
}

function fromLogin(body) {
  const session = body.session || {};
  return {
    access_token: body.access_token,
    refresh_token: body.refresh_token || null,
    staff: body.staff,
    // When the session ends whatever happens, and after how long without use (both from the server).
    ends_at: session.ends_at || null,
    idle_seconds: session.idle_seconds || null,
  };
}

async function parseError(resp) {
  let body = null;
  try {
    body = await resp.json();
  } catch {
    body = null;
  }
  const e = body && body.error;
  if (e && typeof e.code === 'string') {
    return new ApiError(resp.status, e.code, e.message || ERROR_MESSAGES[e.code] || '请求失败', e.details);
  }
  if (resp.status >= 500) return new ApiError(resp.status, 'server_error', `服务暂时不可用（${resp.status}），请稍后重试`, {});
  return new ApiError(resp.status, `http_${resp.status}`, `请求失败（${resp.status}）`, {});
}

async function send(method, path, { body, query, token } = {}) {
  let url = BASE + path;
  if (query) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
    }
    const text = qs.toString();
    if (text) url += (url.includes('?') ? '&' : '?') + text;
  }
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let resp;
  try {
    resp = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'network_error', '网络连接失败，请检查网络后重试', {});
  }
  return resp;
}

let refreshing = null;

/** A new token pair for the stored session: null when renewed, else the error saying why not
 * (logged out elsewhere, idle too long, past the session's lifetime, password changed …). */
async function refresh() {
  const s = currentSession();
  if (!s || !s.refresh_token) return new ApiError(401, 'unauthenticated', '登录已过期，请重新登录。', {});
  if (!refreshing) {
    refreshing = (async () => {
      const resp = await send('POST', '/staff/refresh', { body: { refresh_token: s.refresh_token } });
      if (!resp.ok) return parseError(resp);
      saveSession(fromLogin(await resp.json()));
      return null;
    })().finally(() => {
      refreshing = null;
    });
  }
  try {
    return await refreshing;
  } catch (err) {
    return err instanceof ApiError ? err : new ApiError(0, 'network_error', '网络连接失败，请检查网络后重试', {});
  }
}

/** Call the API as the signed-in staff member; one refresh on 401, then the session ends. */
export async function request(method, path, opts = {}) {
  const s = currentSession();
  let resp = await send(method, path, { ...opts, token: s && s.access_token });
  if (resp.status === 401 && s) {
    // A request sent before this tab ended the session itself (logout, idle) answers 401 too:
    // only the session still in use is ended, so the reason already shown stays.
    if (!currentSession()) throw await parseError(resp);
    const refused = await refresh();
    if (!refused) {
      resp = await send(method, path, { ...opts, token: currentSession().access_token });
    } else if (refused.status === 401) {
      if (currentSession()) endSession(refused.message);  // the session is over: say why (idle, lifetime, logged out …)
      throw refused;
    }
    if (resp.status === 401) {
      const err = await parseError(resp);
      if (currentSession()) endSession(err.message);
      throw err;
    }
  }
  if (!resp.ok) throw await parseError(resp);
  if (resp.status === 204) return null;
  const type = resp.headers.get('Content-Type') || '';
  return type.includes('application/json') ? resp.json() : resp.text();
}

/** Fetch a file (the bytes of a material) as the signed-in staff member; a Blob. */
export async function blob(path) {
  const s = currentSession();
  let resp = await send('GET', path, { token: s && s.access_token });
  if (resp.status === 401 && s && (await refresh())) {
    resp = await send('GET', path, { token: currentSession().access_token });
  }
  if (!resp.ok) throw await parseError(resp);
  return resp.blob();
}

export async function login(username, password) {
  const resp = await send('POST', '/staff/login', { body: { username, password } });
  if (!resp.ok) throw await parseError(resp);
  const s = fromLogin(await resp.json());
  saveSession(s);
  return s;
}

/** Log out on the server (the session's tokens stop working at once) and forget the session. */
export async function logout() {
  const s = currentSession();
  saveSession(null);  // ended here at once: nothing started meanwhile uses it
  if (s) {
    try {
      await send('POST', '/staff/logout', {
        body: s.refresh_token ? { refresh_token: s.refresh_token } : {},
        token: s.access_token,
      });
    } catch {
      // Leaving anyway: the tokens expire on their own.
    }
  }
}

/** Refresh the stored profile (roles may have changed since login). */
export async function loadMe() {
  const me = await request('GET', '/staff/me');
  const s = currentSession();
  if (s) saveSession({ ...s, staff: me });
  return me;
}

/** Only the query parameters an operation declares (the API answers 400 to any other); the
 * generated clients (console/js/api/) pass each operation's declared names. */
export function declaredQuery(query, names) {
  if (!query) return undefined;
  return Object.fromEntries(Object.entries(query).filter(([k]) => names.includes(k)));
}
