// Token storage. Only services/ touch it; pages ask services/auth.js.
const KEY = 'zjb.session';

function get() {
  try {
    return wx.getStorageSync(KEY) || null;
  } catch (e) {
    return null;
  }
}

function save(pair) {
  const value = {
    accessToken: pair.access_token,
    refreshToken: pair.refresh_token,
    user: pair.user || (get() || {}).user || null,
  };
  wx.setStorageSync(KEY, value);
  return value;
}

function clear() {
  wx.removeStorageSync(KEY);
}

module.exports = { get, save, clear };
