// Local preferences: elder mode (适老化) and the help hotline.
const config = require('../config/index');

const KEY = 'zjb.settings';

function get() {
  try {
    return { elder: false, ...(wx.getStorageSync(KEY) || {}) };
  } catch (e) {
    return { elder: false };
  }
}

function setElder(on) {
  const next = { ...get(), elder: !!on };
  wx.setStorageSync(KEY, next);
  return next;
}

module.exports = {
  get,
  isElder: () => get().elder,
  setElder,
  hotline: () => config.load().hotline,
  mode: () => config.load().mode,
};
