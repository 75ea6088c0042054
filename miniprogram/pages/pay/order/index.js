// The payment order: pay by WeChat (wx.requestPayment, or the sandbox hook in sandbox mode)
// or by Alipay (a QR code to scan or save).
const payments = require('../../../services/payments');
const { money } = require('../../../utils/format');
const { withBase } = require('../../../utils/page');
const privacy = require('../../../utils/privacy');

Page(withBase({
  data: { id: '', order: null, amount: '', lines: [], busy: false, alipay: null, alipaySrc: '', sandbox: false, payError: '' },
  onLoad(options = {}) {
    this.setData({ id: options.id || '', sandbox: payments.isSandbox() });
    this.reload();
  },
  async reload() {
    const order = await this.runLoad(() => payments.get(this.data.id));
    if (!order) return;
    this.setData({
      order,
      amount: money(order.amount_fen),
      lines: (order.items || []).map((it, i) => ({ key: `${i}`, name: it.name, amount: money(it.amount_fen) })),
    });
  },
  async payWechat() {
    if (this.data.busy) return;
    this.setData({ busy: true, payError: '', tip: '' });
    try {
      const r = await payments.payByWechat(this.data.id, this.data.amount);
      if (r.outcome === 'submitted') {
        wx.redirectTo({ url: `/pages/pay/result/index?id=${this.data.id}` });
      } else if (r.outcome === 'cancelled') {
        this.say('您已取消支付，可随时重新支付');
      } else {
        this.setData({ payError: r.message || '支付未完成，请稍后重试' });
      }
    } catch (e) {
      this.setData({ payError: e.message || '支付未完成，请稍后重试' });
      if (e.code === 'invalid_state') this.reload();
    }
    this.setData({ busy: false });
  },
  async payAlipay() {
    if (this.data.busy) return;
    this.setData({ busy: true, payError: '', tip: '' });
    try {
      const alipay = await payments.alipayQr(this.data.id);
      this.setData({ alipay, alipaySrc: alipay.qr_png_base64 ? `data:image/png;base64,${alipay.qr_png_base64}` : '' });
    } catch (e) {
      this.setData({ payError: e.message || '获取支付宝二维码失败，请稍后重试' });
    }
    this.setData({ busy: false });
  },
  async saveQr() {
    try {
      await payments.saveQrImage(this.data.alipay.qr_png_base64, `alipay-${this.data.id}`);
      this.say('二维码已保存到相册，请用支付宝扫码', 'success');
    } catch (e) {
      this.say(e.message);
    }
  },
  copyLink() {
    wx.setClipboardData({
      data: this.data.alipay.qr_code,
      fail: (err) => { if (privacy.refused(err)) this.say(privacy.refusedMessage('复制支付链接')); },
    });
  },
  // <sandbox>
  async sandboxScan() {
    if (this.data.busy) return;
    this.setData({ busy: true });
    try {
      await payments.sandboxAlipayConfirm(this.data.order.out_trade_no);
      this.paid();
    } catch (e) {
      this.setData({ payError: e.message });
    }
    this.setData({ busy: false });
  },
  // </sandbox>
  paid() {
    wx.redirectTo({ url: `/pages/pay/result/index?id=${this.data.id}` });
  },
  receipt() {
    wx.navigateTo({ url: `/pages/receipt/detail/index?id=${this.data.order.receipt_id}` });
  },
}));
