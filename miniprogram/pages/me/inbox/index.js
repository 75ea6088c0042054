const notify = require('../../../services/notify');
const { dateTime } = require('../../../utils/format');
const { withBase } = require('../../../utils/page');

// The page a message is about, from what it refers to (the API's `ref`), most specific first.
const REF_PAGES = [
  ['receipt_id', '/pages/receipt/detail/index'],
  ['payment_id', '/pages/pay/order/index'],
  ['appointment_id', '/pages/booking/detail/index'],
  ['application_id', '/pages/case/detail/index'],
];

function linkOf(ref) {
  const hit = REF_PAGES.find(([key]) => ref && ref[key]);
  return hit ? `${hit[1]}?id=${encodeURIComponent(ref[hit[0]])}` : '';
}

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
      items: (res.items || []).map((m) => ({
        ...m, at: dateTime(m.created_at), unread: !m.read && !m.read_at, link: linkOf(m.ref),
      })),
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
