const cases = require('../../../services/cases');
const { canRate } = require('../../../utils/case-rules');
const { dateTime } = require('../../../utils/format');
const { withBase } = require('../../../utils/page');

Page(withBase({
  data: {
    id: '', isNew: false, kase: null, submittedAt: '', canResubmit: false, canWithdraw: false,
    canRate: false, confirming: false, busy: false,
  },
  onLoad(options = {}) {
    this.setData({ id: options.id || '', isNew: options.new === '1' });
  },
  onShow() {
    this.reload();
  },
  async reload() {
    const kase = await this.runLoad(() => cases.get(this.data.id));
    if (!kase) return;
    const s = kase.status;
    this.setData({
      kase,
      submittedAt: dateTime(kase.created_at || (kase.timeline && kase.timeline[0] && kase.timeline[0].at)),
      canResubmit: s === 'correction_requested',
      canWithdraw: s === 'submitted' || s === 'correction_requested',
      canRate: canRate(kase),
    });
  },
  resubmit() {
    wx.navigateTo({ url: `/pages/case/apply/index?case_id=${this.data.id}` });
  },
  rate() {
    wx.navigateTo({ url: `/pages/case/rate/index?id=${this.data.id}` });
  },
  payments() {
    wx.navigateTo({ url: '/pages/pay/list/index' });
  },
  askWithdraw() {
    this.setData({ confirming: true });
  },
  keep() {
    this.setData({ confirming: false });
  },
  async doWithdraw() {
    if (this.data.busy) return;
    this.setData({ busy: true });
    try {
      await cases.withdraw(this.data.id);
      this.setData({ confirming: false });
      this.say('已撤回申请');
      await this.reload();
    } catch (e) {
      this.setData({ confirming: false });
      this.sayError(e);
    }
    this.setData({ busy: false });
  },
}));
