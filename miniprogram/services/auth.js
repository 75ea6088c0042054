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

// The code /auth/wechat-login exchanges: wx.login's, or in sandbox mode the sandbox's own.
async function loginCode() {
  // <sandbox>
  if (http.config().sandbox) return require('./sandbox').loginCode();
  // </sandbox>
  return wxLogin();
}

async function login() {
  const code = await loginCode();
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

// Binding needs the resident's own face verification of this name and number (verifyResult).
async function bindRealname(name, idNumber, verifyResult) {
  const result = await api.postMeRealname({
    body: { name: name.trim(), id_number: idNumber.trim().toUpperCase(), verify_result: verifyResult },
  });
  const s = session.get();
  if (s) wx.setStorageSync('zjb.session', { ...s, user: { ...(s.user || {}), realname_verified: true } });
  return result;
}

module.exports = { login, isLoggedIn, logout, me, bindRealname };
