// My complaints (12345 工单) with their status.
const complaints = require('../../../services/complaints');
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
      this.setData({ error: '登录后查看您反映的问题', needLogin: true });
      return;
    }
    const res = await this.runLoad(() => complaints.list());
    if (res) this.setData({ items: (res.items || []).map((c) => ({ ...c, at: dateTime(c.created_at) })) });
  },
  open(e) {
    wx.navigateTo({ url: `/pages/complaint/detail/index?id=${e.currentTarget.dataset.id}` });
  },
  create() {
    wx.navigateTo({ url: '/pages/complaint/new/index' });
  },
}));
