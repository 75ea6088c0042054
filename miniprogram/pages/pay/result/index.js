// Payment result: polls GET /payments/{id} until the provider's notice has landed (paid).
const payments = require('../../../services/payments');
const { money } = require('../../../utils/format');
const { withBase } = require('../../../utils/page');

const INTERVAL_MS = 2000;
const MAX_TRIES = 30;

Page(withBase({
  data: { id: '', state: 'waiting', order: null, amount: '', tries: 0 },
  onLoad(options = {}) {
    this.setData({ id: options.id || '' });
    this.timer = null;
    this.poll();
  },
  onUnload() {
    this.stop();
  },
  stop() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  },
  schedule() {
    this.stop();
    this.timer = setTimeout(() => this.poll(), INTERVAL_MS);
  },
  async poll() {
    const tries = this.data.tries + 1;
    this.setData({ tries });
    let order = null;
    try {
      order = await payments.get(this.data.id);
    } catch (e) {
      if (e.needLogin) {
        this.setData({ state: 'error', error: e.message, needLogin: true });
        return;
      }
    }
    if (order) this.setData({ order, amount: money(order.amount_fen) });
    const status = order && order.status;
    if (status === 'paid' && order.receipt_id) {
      this.setData({ state: 'paid' });
      return;
    }
    if (status === 'closed' || status === 'refunding' || status === 'refunded') {
      this.setData({ state: status });
      return;
    }
    if (tries >= MAX_TRIES) {
      this.setData({ state: status === 'paid' ? 'paid' : 'timeout' });
      return;
    }
    this.setData({ state: status === 'paid' ? 'issuing' : 'waiting' });
    this.schedule();
  },
  retry() {
    this.setData({ tries: 0, state: 'waiting' });
    this.poll();
  },
  receipt() {
    wx.redirectTo({ url: `/pages/receipt/detail/index?id=${this.data.order.receipt_id}` });
  },
  back() {
    wx.redirectTo({ url: '/pages/pay/list/index' });
  },
}));
