const payments = require('../../../services/payments');
const { money, dateTime } = require('../../../utils/format');
const { withBase } = require('../../../utils/page');

// Red-letter receipts carry negative amounts (the refund they record).
function signed(fen) {
  return fen < 0 ? `-${money(-fen)}` : money(fen);
}

// What the resident must know before using a receipt: is it still good?
function standing(r) {
  if (r.kind === 'red') {
    return { cls: 'red', label: '红字票据', note: `冲销原票据 ${r.original.code}-${r.original.number} 中已退款的 ${money(-r.amount_fen)}。` };
  }
  if (r.status === 'voided') {
    return { cls: 'void', label: '已作废', note: '款项已全额退回，本票据已被红字票据冲销，不能再用于报销或抵扣。' };
  }
  if (r.status === 'partially_refunded') {
    return { cls: 'part', label: `已部分退款 ${money(r.refunded_fen)}`, note: '本票据仍有效，已退款部分另开具了红字票据。' };
  }
  return null;
}

Page(withBase({
  data: { id: '', receipt: null, amount: '', issuedAt: '', lines: [], standing: null, voided: false, opening: false },
  onLoad(options = {}) {
    this.setData({ id: options.id || '' });
    this.reload();
  },
  async reload() {
    const receipt = await this.runLoad(() => payments.receipt(this.data.id));
    if (!receipt) return;
    this.setData({
      receipt,
      amount: signed(receipt.amount_fen),
      issuedAt: dateTime(receipt.issued_at),
      standing: standing(receipt),
      voided: receipt.kind !== 'red' && receipt.status === 'voided',
      lines: (receipt.items || []).map((it, i) => ({ key: `${i}`, name: it.name, amount: signed(it.amount_fen) })),
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
