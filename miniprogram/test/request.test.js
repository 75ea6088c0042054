// The one request module: token, single-flight refresh on 401, error shape → friendly message.
const { server, login, apiError } = T;

function load() {
  let http;
  jest.isolateModules(() => { http = require('../services/request'); });
  return http;
}

describe('request module', () => {
  test('adds the bearer token and the API base from config', async () => {
    login();
    server.on('GET', '/me', { id: 'u1' });
    const http = load();
    await expect(http.get('/me')).resolves.toEqual({ id: 'u1' });
    const call = server.calls[0];
    expect(call.url).toBe('http://127.0.0.1:8000/api/v1/me');
    expect(call.header.Authorization).toBe('Bearer access-1');
  });

  test('public calls go without a token', async () => {
    login();
    server.on('GET', '/halls', { items: [] });
    await load().get('/halls', { auth: false });
    expect(server.calls[0].header.Authorization).toBeUndefined();
  });

  test('on 401 refreshes once, retries, and saves the new pair', async () => {
    login();
    server.on('GET', '/me', (c) => (c.header.Authorization === 'Bearer access-2' ? { id: 'u1' } : apiError(401, 'unauthenticated', '登录已过期')));
    server.on('POST', '/auth/refresh', (c) => {
      expect(c.data).toEqual({ refresh_token: 'refresh-1' });
      return { access_token: 'access-2', refresh_token: 'refresh-2', expires_in: 900, user: { id: 'u1', realname_verified: true } };
    });
    await expect(load().get('/me')).resolves.toEqual({ id: 'u1' });
    expect(server.callsTo('POST', '/auth/refresh')).toHaveLength(1);
    expect(wx.getStorageSync('zjb.session')).toMatchObject({ accessToken: 'access-2', refreshToken: 'refresh-2' });
  });

  test('concurrent 401s share one refresh (single flight)', async () => {
    login();
    server.on('GET', /^\/(me|appointments|applications)$/, (c) => (c.header.Authorization === 'Bearer access-2' ? { ok: c.path } : apiError(401, 'unauthenticated', '')));
    server.on('POST', '/auth/refresh', { access_token: 'access-2', refresh_token: 'refresh-2', expires_in: 900 });
    const http = load();
    const out = await Promise.all([http.get('/me'), http.get('/appointments'), http.get('/applications')]);
    expect(out.map((o) => o.ok)).toEqual(['/me', '/appointments', '/applications']);
    expect(server.callsTo('POST', '/auth/refresh')).toHaveLength(1);
  });

  test('a failed refresh clears the session and asks to log in again, without looping', async () => {
    login();
    server.on('GET', '/me', apiError(401, 'unauthenticated', '请先登录'));
    server.on('POST', '/auth/refresh', apiError(401, 'unauthenticated', '登录已失效'));
    const err = await load().get('/me').catch((e) => e);
    expect(err.needLogin).toBe(true);
    expect(err.message).toBe('请先登录');
    expect(server.callsTo('GET', '/me')).toHaveLength(1);
    expect(server.callsTo('POST', '/auth/refresh')).toHaveLength(1);
    expect(wx.getStorageSync('zjb.session')).toBe('');
  });

  test('a still-401 after refresh is not retried again', async () => {
    login();
    server.on('GET', '/me', apiError(401, 'unauthenticated', '请先登录'));
    server.on('POST', '/auth/refresh', { access_token: 'access-2', refresh_token: 'refresh-2', expires_in: 900 });
    const err = await load().get('/me').catch((e) => e);
    expect(err.status).toBe(401);
    expect(server.callsTo('GET', '/me')).toHaveLength(2);
  });

  test('without a session a 401 is not refreshed', async () => {
    server.on('GET', '/me', apiError(401, 'unauthenticated', '请先登录'));
    const err = await load().get('/me').catch((e) => e);
    expect(err.code).toBe('unauthenticated');
    expect(server.callsTo('POST', '/auth/refresh')).toHaveLength(0);
  });

  test('uses the server message and keeps code and details', async () => {
    login();
    server.on('POST', '/appointments', apiError(409, 'slot_full', '该时段已约满', { slot_id: 'sl2' }));
    const err = await load().post('/appointments', { slot_id: 'sl2' }).catch((e) => e);
    expect(err).toMatchObject({ status: 409, code: 'slot_full', message: '该时段已约满', details: { slot_id: 'sl2' } });
  });

  test('falls back by code, then by status, when the server sends no message', async () => {
    login();
    server.on('POST', '/a', apiError(409, 'cancel_too_late', ''));
    server.on('POST', '/b', { status: 429, body: { error: { code: 'weird_code', message: '' } } });
    server.on('POST', '/c', { status: 502, body: '<html>Bad gateway</html>' });
    const http = load();
    expect((await http.post('/a').catch((e) => e)).message).toBe('距预约开始时间太近，已不能取消');
    expect((await http.post('/b').catch((e) => e)).message).toBe('操作过于频繁，请稍后再试');
    const c = await http.post('/c').catch((e) => e);
    expect(c.message).toBe('系统繁忙，请稍后再试');
    expect(c.message).not.toMatch(/html/);
  });

  test('network failure and timeout become friendly errors', async () => {
    server.on('GET', '/x', { __network: 'fail' });
    server.on('GET', '/y', { __network: 'timeout' });
    const http = load();
    expect((await http.get('/x').catch((e) => e)).message).toBe('网络不可用，请检查网络后重试');
    expect((await http.get('/y').catch((e) => e)).code).toBe('timeout');
  });

  test('query strings are encoded and empty values dropped', async () => {
    server.on('GET', '/services', { items: [] });
    await load().get('/services', { auth: false, query: { q: '身份证', department_id: '', cursor: null } });
    expect(server.calls[0].url).toBe(`http://127.0.0.1:8000/api/v1/services?q=${encodeURIComponent('身份证')}`);
  });

  test('download adds the token and refreshes on 401', async () => {
    login();
    server.on('GET', '/receipts/r1/pdf', (c) => (c.header.Authorization === 'Bearer access-2' ? {} : apiError(401, 'unauthenticated', '')));
    server.on('POST', '/auth/refresh', { access_token: 'access-2', refresh_token: 'refresh-2', expires_in: 900 });
    await expect(load().download('/receipts/r1/pdf')).resolves.toBe('wxfile://tmp/receipt.pdf');
  });
});

describe('configuration from the build environment', () => {
  function cfgFor(envVersion) {
    wx.getAccountInfoSync = jest.fn(() => ({ miniProgram: { envVersion } }));
    let config;
    jest.isolateModules(() => { config = require('../config/index').load(); });
    return config;
  }

  test('develop talks to the local backend in sandbox mode', () => {
    expect(cfgFor('develop')).toMatchObject({ apiRoot: 'http://127.0.0.1:8000/api/v1', sandbox: true });
  });

  test('release is production', () => {
    expect(cfgFor('release')).toMatchObject({ mode: 'production', sandbox: false });
    expect(cfgFor('release').apiBase).toMatch(/^https:\/\//);
  });

  test('gen-config writes config/env.js from ZJB_* variables', () => {
    const { execFileSync } = require('child_process');
    const fs = require('fs');
    const os = require('os');
    const path = require('path');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zjb-'));
    fs.mkdirSync(path.join(tmp, 'scripts'));
    fs.mkdirSync(path.join(tmp, 'config'));
    fs.copyFileSync(path.join(T.ROOT, 'scripts/gen-config.js'), path.join(tmp, 'scripts/gen-config.js'));
    execFileSync('node', [path.join(tmp, 'scripts/gen-config.js')], {
      env: { ...process.env, ZJB_API_BASE_DEVELOP: 'http://10.0.0.5:9000', ZJB_MODE_TRIAL: 'production' },
    });
    const env = require(path.join(tmp, 'config/env.js'));
    expect(env.develop).toEqual({ apiBase: 'http://10.0.0.5:9000', mode: 'sandbox' });
    expect(env.trial.mode).toBe('production');
    expect(env.release.mode).toBe('production');
  });
});
