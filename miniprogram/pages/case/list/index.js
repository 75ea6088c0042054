const cases = require('../../../services/cases');
const auth = require('../../../services/auth');
const { dateTime } = require('../../../utils/format');
const { withBase } = require('../../../utils/page');

Page(withBase({
  data: { items: [], loggedIn: false },
  onShow() {
    this.reload();
  },
  onPullDownRefresh() {
    this.reload();
  },
  async reload() {
    const loggedIn = auth.isLoggedIn();
    this.setData({ loggedIn });
    if (!loggedIn) {
      this.setData({ items: [], error: '登录后查看您的办件', needLogin: true });
      wx.stopPullDownRefresh();
      return;
    }
    const res = await this.runLoad(() => cases.list());
    wx.stopPullDownRefresh();
    if (!res) return;
    const items = (res.items || []).map((c) => {
      const last = c.timeline && c.timeline.length ? c.timeline[c.timeline.length - 1] : null;
      return { ...c, updated: dateTime((last && last.at) || c.updated_at || c.created_at) };
    });
    this.setData({ items });
  },
  open(e) {
    wx.navigateTo({ url: `/pages/case/detail/index?id=${e.currentTarget.dataset.id}` });
  },
}));
