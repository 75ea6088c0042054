const auth = require('../../../services/auth');
const { messageOf } = require('../../../utils/errors');
const { withBase } = require('../../../utils/page');

Page(withBase({
  data: { busy: false, agreed: false, redirect: '' },
  onLoad(options = {}) {
    this.setData({ redirect: options.redirect ? decodeURIComponent(options.redirect) : '' });
  },
  toggleAgree() {
    this.setData({ agreed: !this.data.agreed, error: '' });
  },
  openTerms() {
    wx.navigateTo({ url: '/pages/legal/terms/index' });
  },
  openPrivacy() {
    wx.navigateTo({ url: '/pages/legal/privacy/index' });
  },
  async onLogin() {
    if (this.data.busy) return;
    if (!this.data.agreed) {
      this.setData({ error: '请先阅读并同意用户服务协议和隐私政策' });
      return;
    }
    this.setData({ busy: true, error: '' });
    try {
      const user = await auth.login();
      if (!user || !user.realname_verified) {
        wx.redirectTo({ url: `/pages/auth/realname/index${this.data.redirect ? `?redirect=${encodeURIComponent(this.data.redirect)}` : ''}` });
      } else if (this.data.redirect) {
        wx.redirectTo({ url: this.data.redirect });
      } else {
        wx.navigateBack({ fail: () => wx.switchTab({ url: '/pages/me/index/index' }) });
      }
    } catch (e) {
      this.setData({ error: messageOf(e) });
    }
    this.setData({ busy: false });
  },
}));
