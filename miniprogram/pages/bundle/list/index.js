// My bundles (一件事): each with its overall status.
const bundles = require('../../../services/bundles');
const auth = require('../../../services/auth');
const { dateTime } = require('../../../utils/format');
const { withBase } = require('../../../utils/page');

Page(withBase({
  data: { items: [] },
  onShow() {
    this.reload();
  },
  async reload() {
    if (!auth.isLoggedIn()) {
      this.setData({ error: '登录后查看您的一件事', needLogin: true });
      return;
    }
    const res = await this.runLoad(() => bundles.list());
    if (res) {
      this.setData({ items: (res.items || []).map((b) => ({ ...b, at: dateTime(b.created_at), count: b.applications.length })) });
    }
  },
  open(e) {
    wx.navigateTo({ url: `/pages/bundle/detail/index?id=${e.currentTarget.dataset.id}` });
  },
  openHome() {
    wx.switchTab({ url: '/pages/home/index/index' });
  },
}));
