// Runtime configuration: picks the entry of config/env.js for the running envVersion
// (develop = DevTools / 开发版, trial = 体验版, release = 正式版).
const env = require('./env.js');

function envVersion() {
  try {
    const info = wx.getAccountInfoSync();
    return (info && info.miniProgram && info.miniProgram.envVersion) || 'develop';
  } catch (e) {
    return 'develop';
  }
}

function load() {
  const version = envVersion();
  const entry = env[version] || env.develop;
  const apiBase = String(entry.apiBase || '').replace(/\/+$/, '');
  return {
    envVersion: version,
    apiBase,
    apiRoot: `${apiBase}/api/v1`,
    mode: entry.mode === 'production' ? 'production' : 'sandbox',
    sandbox: entry.mode !== 'production',
    hotline: entry.hotline || '12345',
  };
}

module.exports = { load };
