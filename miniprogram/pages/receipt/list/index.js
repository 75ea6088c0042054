const payments = require('../../../services/payments');
const { money, dateTime } = require('../../../utils/format');
const { withBase } = require('../../../utils/page');

function signed(fen) {
  return fen < 0 ? `-${money(-fen)}` : money(fen);
}

function tag(r) {
  if (r.kind === 'red') return { text: '红字票据', cls: 'red' };
  if (r.status === 'voided') return { text: '已作废', cls: 'void' };
  if (r.status === 'partially_refunded') return { text: '部分退款', cls: 'part' };
  return null;
}

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
        ...r, amount: signed(r.amount_fen), at: dateTime(r.issued_at), tag: tag(r),
        title: (r.kind === 'red' ? '红字票据：' : '') + ((r.items && r.items[0] && r.items[0].name) || '政务服务缴费票据'),
      })),
    });
  },
  open(e) {
    wx.navigateTo({ url: `/pages/receipt/detail/index?id=${e.currentTarget.dataset.id}` });
  },
}));
