// Shared page behaviour: elder mode class, loading / error / empty state, friendly errors,
// and messages that respect elder mode (no pop-ups: shown inline instead of a toast).
const settings = require('../services/settings');
const { messageOf } = require('./errors');

function withBase(def) {
  const userOnShow = def.onShow;
  return {
    ...def,
    data: { elder: false, loading: false, error: '', needLogin: false, tip: '', ...(def.data || {}) },
    onShow(...args) {
      const elder = settings.isElder();
      if (elder !== this.data.elder) this.setData({ elder });
      if (userOnShow) return userOnShow.apply(this, args);
      return undefined;
    },
    // Run a loader with the page's loading / error state. Resolves to the loader's value or null.
    async runLoad(loader) {
      this.setData({ loading: true, error: '', needLogin: false });
      try {
        const value = await loader();
        this.setData({ loading: false });
        return value;
      } catch (e) {
        this.setData({ loading: false, error: messageOf(e), needLogin: !!(e && e.needLogin) });
        return null;
      }
    },
    // A short message: a toast normally, an inline tip in elder mode (no pop-ups).
    say(message, icon = 'none') {
      if (this.data.elder) {
        this.setData({ tip: message });
      } else {
        this.setData({ tip: '' });
        wx.showToast({ title: message, icon });
      }
    },
    sayError(e) {
      this.say(messageOf(e));
      if (e && e.needLogin) this.setData({ needLogin: true });
    },
    goLogin() {
      wx.navigateTo({ url: '/pages/auth/login/index' });
    },
    onRetry() {
      if (this.reload) this.reload();
    },
  };
}

module.exports = { withBase };
