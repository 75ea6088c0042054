const payments = require('../../../services/payments');
const { money, dateTime } = require('../../../utils/format');
const { withBase } = require('../../../utils/page');

Page(withBase({
  data: { items: [] },
  onLoad() {
    this.reload();
  },
  async reload() {
    const res = await this.runLoad(() => payments.receipts());
    if (!res) return;
    this.setData({
      items: (res.items || []).map((r) => ({
        ...r, amount: money(r.amount_fen), at: dateTime(r.issued_at),
        title: (r.items && r.items[0] && r.items[0].name) || '政务服务缴费票据',
      })),
    });
  },
  open(e) {
    wx.navigateTo({ url: `/pages/receipt/detail/index?id=${e.currentTarget.dataset.id}` });
  },
}));
