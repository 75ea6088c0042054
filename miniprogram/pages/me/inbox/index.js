const notify = require('../../../services/notify');
const { dateTime } = require('../../../utils/format');
const { withBase } = require('../../../utils/page');

Page(withBase({
  data: { items: [], openId: '' },
  onShow() {
    this.reload();
  },
  onPullDownRefresh() {
    this.reload();
  },
  async reload() {
    const res = await this.runLoad(() => notify.inbox());
    wx.stopPullDownRefresh();
    if (!res) return;
    this.setData({
      items: (res.items || []).map((m) => ({ ...m, at: dateTime(m.created_at), unread: !m.read && !m.read_at })),
    });
  },
  async open(e) {
    const { id } = e.currentTarget.dataset;
    const msg = this.data.items.find((m) => m.id === id);
    this.setData({ openId: this.data.openId === id ? '' : id });
    if (msg && msg.unread) {
      const items = this.data.items.map((m) => (m.id === id ? { ...m, unread: false } : m));
      this.setData({ items });
      try {
        await notify.markRead(id);
      } catch (err) {
        // Reading still works; the unread mark comes back on the next refresh.
      }
    }
  },
  follow(e) {
    const { link } = e.currentTarget.dataset;
    if (link && link.indexOf('/pages/') === 0) wx.navigateTo({ url: link });
  },
}));
