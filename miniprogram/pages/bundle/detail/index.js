// A bundle (一件事): its overall status, each case's status, and its one payment order.
const bundles = require('../../../services/bundles');
const { dateTime, money, PAYMENT_STATUS, statusOf } = require('../../../utils/format');
const { withBase } = require('../../../utils/page');

Page(withBase({
  data: { id: '', isNew: false, bundle: null, submittedAt: '', payment: null },
  onLoad(options = {}) {
    this.setData({ id: options.id || '', isNew: options.new === '1' });
  },
  onShow() {
    this.reload();
  },
  async reload() {
    const bundle = await this.runLoad(() => bundles.get(this.data.id));
    if (!bundle) return;
    const p = bundle.payment;
    this.setData({
      bundle,
      submittedAt: dateTime(bundle.created_at),
      payment: p ? { ...p, amount: money(p.amount_fen), statusText: statusOf(PAYMENT_STATUS, p.status).text } : null,
    });
  },
  openCase(e) {
    wx.navigateTo({ url: `/pages/case/detail/index?id=${e.currentTarget.dataset.id}` });
  },
  pay() {
    wx.navigateTo({ url: `/pages/pay/order/index?id=${this.data.payment.id}` });
  },
}));
