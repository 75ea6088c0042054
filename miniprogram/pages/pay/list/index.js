const payments = require('../../../services/payments');
const { money, dateTime } = require('../../../utils/format');
const { withBase } = require('../../../utils/page');

Page(withBase({
  data: { items: [] },
  onShow() {
    this.reload();
  },
  async reload() {
    const res = await this.runLoad(() => payments.list());
    if (!res) return;
    this.setData({
      items: (res.items || []).map((p) => ({
        ...p, amount: money(p.amount_fen), at: dateTime(p.created_at),
        title: p.service_name || (p.items && p.items[0] && p.items[0].name) || '政务服务缴费',
      })),
    });
  },
  open(e) {
    wx.navigateTo({ url: `/pages/pay/order/index?id=${e.currentTarget.dataset.id}` });
  },
  receipts() {
    wx.navigateTo({ url: '/pages/receipt/list/index' });
  },
}));
