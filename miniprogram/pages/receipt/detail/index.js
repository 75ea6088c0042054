const payments = require('../../../services/payments');
const { money, dateTime } = require('../../../utils/format');
const { withBase } = require('../../../utils/page');

Page(withBase({
  data: { id: '', receipt: null, amount: '', issuedAt: '', lines: [], opening: false },
  onLoad(options = {}) {
    this.setData({ id: options.id || '' });
    this.reload();
  },
  async reload() {
    const receipt = await this.runLoad(() => payments.receipt(this.data.id));
    if (!receipt) return;
    this.setData({
      receipt,
      amount: money(receipt.amount_fen),
      issuedAt: dateTime(receipt.issued_at),
      lines: (receipt.items || []).map((it, i) => ({ key: `${i}`, name: it.name, amount: money(it.amount_fen) })),
    });
  },
  async openPdf() {
    if (this.data.opening) return;
    this.setData({ opening: true, tip: '' });
    try {
      await payments.openReceiptPdf(this.data.id);
    } catch (e) {
      this.sayError(e);
    }
    this.setData({ opening: false });
  },
}));
