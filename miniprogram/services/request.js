// The one request module: adds the token, refreshes it once on 401 (single flight) and
// retries, and turns the contract's error shape into an ApiError with a friendly message.
const config = require('../config/index');
const session = require('./session');
const { ApiError, fromResponse } = require('../utils/errors');

let refreshing = null;

function cfg() {
  return config.load();
}

// API paths live under /api/v1.
function buildUrl(path, query) {
  const c = cfg();
  let url = `${c.apiRoot}${path}`;
  // <sandbox>
  // The sandbox hooks sit at the server root, not under /api/v1.
  if (path.indexOf('/sandbox/') === 0) url = `${c.apiBase}${path}`;
  // </sandbox>
  if (query) {
    const parts = Object.keys(query)
      .filter((k) => query[k] !== undefined && query[k] !== null && query[k] !== '')
      .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(query[k])}`);
    if (parts.length) url += (url.indexOf('?') >= 0 ? '&' : '?') + parts.join('&');
  }
  return url;
}

function send({ method, path, query, data, token, headers }) {
  return new Promise((resolve, reject) => {
    const header = { 'Content-Type': 'application/json', ...(headers || {}) };
    if (token) header.Authorization = `Bearer ${token}`;
    wx.request({
      url: buildUrl(path, query),
      method,
      data: data === undefined ? undefined : data,
      header,
      timeout: 15000,
      success: (res) => resolve({ statusCode: res.statusCode, data: res.data }),
      fail: (err) => {
        const timeout = err && /timeout/i.test(err.errMsg || '');
        reject(new ApiError({ status: 0, code: timeout ? 'timeout' : 'network_error' }));
      },
    });
  });
}

async function doRefresh() {
  const current = session.get();
  if (!current || !current.refreshToken) return false;
  let res;
  try {
    res = await send({ method: 'POST', path: '/auth/refresh', data: { refresh_token: current.refreshToken } });
  } catch (e) {
    return false;
  }
  if (res.statusCode === 200 && res.data && res.data.access_token) {
    session.save(res.data);
    return true;
  }
  session.clear();
  return false;
}

// Single flight: concurrent 401s share one POST /auth/refresh.
function refreshOnce() {
  if (!refreshing) {
    refreshing = doRefresh().then((ok) => {
      refreshing = null;
      return ok;
    });
  }
  return refreshing;
}

async function withAuth(auth, run) {
  const before = session.get();
  const token = auth && before ? before.accessToken : null;
  let res = await run(token);
  if (res.statusCode === 401 && auth && before && before.refreshToken) {
    const latest = session.get();
    // Another call may already have refreshed while this one was in flight.
    const ok = latest && latest.accessToken !== token ? true : await refreshOnce();
    if (ok) res = await run(session.get().accessToken);
  }
  return res;
}

// headers: extra request headers (an Idempotency-Key), sent again unchanged on the retry after a refresh.
async function request(method, path, { data, query, auth = true, headers } = {}) {
  const res = await withAuth(auth, (token) => send({ method, path, query, data, token, headers }));
  if (res.statusCode >= 200 && res.statusCode < 300) return res.data;
  throw fromResponse(res.statusCode, res.data);
}

// Download a protected file (receipt PDF) with the same token handling.
async function download(path) {
  const res = await withAuth(true, (token) => new Promise((resolve, reject) => {
    wx.downloadFile({
      url: buildUrl(path),
      header: token ? { Authorization: `Bearer ${token}` } : {},
      success: (r) => resolve({ statusCode: r.statusCode, data: r, tempFilePath: r.tempFilePath }),
      fail: () => reject(new ApiError({ status: 0, code: 'network_error' })),
    });
  }));
  if (res.statusCode >= 200 && res.statusCode < 300) return res.tempFilePath;
  throw fromResponse(res.statusCode, null);
}

// Upload one local file (from wx.chooseMedia / wx.chooseMessageFile) as multipart field "file",
// with the same token handling; the answer is the server's JSON (wx.uploadFile gives it as text).
async function upload(path, filePath, formData) {
  const res = await withAuth(true, (token) => new Promise((resolve, reject) => {
    wx.uploadFile({
      url: buildUrl(path),
      filePath,
      name: 'file',
      formData: formData || {},
      header: token ? { Authorization: `Bearer ${token}` } : {},
      timeout: 120000,
      success: (r) => {
        let data = r.data;
        if (typeof data === 'string') {
          try {
            data = JSON.parse(data);
          } catch (e) {
            data = null;
          }
        }
        resolve({ statusCode: r.statusCode, data });
      },
      fail: (err) => {
        const timeout = err && /timeout/i.test(err.errMsg || '');
        reject(new ApiError({ status: 0, code: timeout ? 'timeout' : 'network_error' }));
      },
    });
  }));
  if (res.statusCode >= 200 && res.statusCode < 300) return res.data;
  throw fromResponse(res.statusCode, res.data);
}

// A fresh key for one submission (one tap of 提交): the server answers a repeat of the same key with
// the first result, so a retried or doubled request never makes a second case or bundle.
function idempotencyKey() {
  const rand = () => Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0');
  return `mp-${Date.now().toString(16)}-${rand()}${rand()}`;
}

module.exports = {
  get: (path, opts) => request('GET', path, opts),
  post: (path, data, opts) => request('POST', path, { ...(opts || {}), data: data || {} }),
  request,
  idempotencyKey,
  download,
  upload,
  config: cfg,
};
