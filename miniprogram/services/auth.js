// Login (wx.login → backend), real-name binding, and who I am.
const http = require('./request');
const api = require('../api/identity');
const session = require('./session');

function wxLogin() {
  return new Promise((resolve, reject) => {
    wx.login({
      success: (res) => (res.code ? resolve(res.code) : reject(new Error('微信登录失败，请重试'))),
      fail: () => reject(new Error('微信登录失败，请重试')),
    });
  });
}

// Sandbox only: WeChat's stand-in cannot read DevTools' real wx.login codes, so a one-time code
// is issued for a stable per-install sandbox openid (POST /sandbox/wechat/login-codes), which
// then goes through the same /auth/wechat-login → code2session path as a real one.
async function sandboxCode() {
  let openid = wx.getStorageSync('zjb.sandbox.openid');
  if (!openid) {
    openid = `o-dev-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    wx.setStorageSync('zjb.sandbox.openid', openid);
  }
  const res = await http.post('/sandbox/wechat/login-codes', { openid }, { auth: false });
  return res.code;
}

async function login() {
  const code = http.config().sandbox ? await sandboxCode() : await wxLogin();
  const pair = await api.postAuthWechatLogin({ body: { code } });
  session.save(pair);
  return pair.user;
}

function isLoggedIn() {
  const s = session.get();
  return !!(s && s.accessToken);
}

// Log out: the server ends this login at once (its tokens stop working on every server), then
// the tokens are forgotten here. Leaving works offline too: the local tokens go either way.
async function logout() {
  if (isLoggedIn()) {
    try {
      await api.postAuthLogout({ body: {} });
    } catch (e) {
      // Offline or already ended: nothing more to undo on the server.
    }
  }
  session.clear();
}

function me() {
  return api.getMe();
}

async function bindRealname(name, idNumber) {
  const result = await api.postMeRealname({ body: { name: name.trim(), id_number: idNumber.trim().toUpperCase() } });
  const s = session.get();
  if (s) wx.setStorageSync('zjb.session', { ...s, user: { ...(s.user || {}), realname_verified: true } });
  return result;
}

module.exports = { login, isLoggedIn, logout, me, bindRealname };
