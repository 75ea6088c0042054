const cases = require('../../../services/cases');
const payments = require('../../../services/payments');
const { canRate } = require('../../../utils/case-rules');
const { dateTime } = require('../../../utils/format');
const { withBase } = require('../../../utils/page');

const WEEK = ['日', '一', '二', '三', '四', '五', '六'];
const OPEN = ['submitted', 'accepted', 'in_review', 'approved'];

// "2027年2月14日（周日）" in Beijing time, whatever the device's zone.
function dueDay(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const d = new Date(t + 8 * 3600 * 1000);
  return `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日（周${WEEK[d.getUTCDay()]}）`;
}

Page(withBase({
  data: {
    id: '', isNew: false, kase: null, submittedAt: '', due: '', dueProvisional: false, promises: [], canResubmit: false, canWithdraw: false,
    canRate: false, confirming: false, busy: false, payNotes: [],
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
      due: OPEN.includes(s) && kase.deadline ? dueDay(kase.deadline) : '',
      dueProvisional: Boolean(kase.deadline_provisional),
      promises: [...OPEN, 'correction_requested'].includes(s) ? (kase.materials || []).filter((m) => m.promise && m.promise.status === 'open')
        .map((m) => ({ key: m.key, name: m.name, due: dueDay(m.promise.due), overdue: !!m.promise.overdue })) : [],
      canResubmit: s === 'correction_requested',
      canWithdraw: s === 'submitted' || s === 'correction_requested',
      canRate: canRate(kase),
    });
    // how this case was paid, e.g. 已通过一件事缴费 (a failure here leaves the case screen as it is)
    try {
      const paid = await payments.ofCase(this.data.id);
      this.setData({ payNotes: ((paid && paid.items) || []).map((p) => p.case_note).filter(Boolean) });
    } catch (e) {
      this.setData({ payNotes: [] });
    }
  },
  resubmit() {
    wx.navigateTo({ url: `/pages/case/apply/index?case_id=${this.data.id}` });
  },
  supply() {
    wx.navigateTo({ url: `/pages/case/apply/index?case_id=${this.data.id}&supply=1` });
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
