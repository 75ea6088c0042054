const appointments = require('../../../services/appointments');
const { dateTime, time } = require('../../../utils/format');
const { withBase } = require('../../../utils/page');

function when(start, end) {
  return `${dateTime(start)}-${time(end)}`;
}

Page(withBase({
  data: { items: [], waitlist: [], busyId: '' },
  onShow() {
    this.reload();
  },
  onPullDownRefresh() {
    this.reload();
  },
  async reload() {
    const res = await this.runLoad(() => Promise.all([
      appointments.list(),
      appointments.myWaitlist().catch(() => ({ items: [] })),
    ]));
    wx.stopPullDownRefresh();
    if (!res) return;
    const items = (res[0].items || []).map((a) => ({
      ...a, when: when(a.start || (a.slot && a.slot.start), a.end || (a.slot && a.slot.end)),
    }));
    const waitlist = (res[1].items || [])
      .filter((w) => ['waiting', 'offered', 'cancelled_by_centre'].includes(w.status))
      .map((w) => ({ ...w, when: when(w.start, w.end) }));
    this.setData({ items, waitlist });
  },
  open(e) {
    wx.navigateTo({ url: `/pages/booking/detail/index?id=${e.currentTarget.dataset.id}` });
  },
  async accept(e) {
    const { id } = e.currentTarget.dataset;
    if (this.data.busyId) return;
    this.setData({ busyId: id });
    try {
      const res = await appointments.acceptOffer(id);
      const apptId = res && (res.appointment_id || (res.appointment && res.appointment.id));
      if (apptId) {
        wx.navigateTo({ url: `/pages/booking/detail/index?id=${apptId}&new=1` });
      } else {
        this.say('已转为正式预约', 'success');
      }
      await this.reload();
    } catch (e2) {
      this.sayError(e2);
    }
    this.setData({ busyId: '' });
  },
  async leave(e) {
    const { id } = e.currentTarget.dataset;
    if (this.data.busyId) return;
    this.setData({ busyId: id });
    try {
      await appointments.leaveWaitlist(id);
      this.say('已退出候补');
      await this.reload();
    } catch (e2) {
      this.sayError(e2);
    }
    this.setData({ busyId: '' });
  },
  rebook(e) {
    const { service } = e.currentTarget.dataset;
    if (service) wx.navigateTo({ url: `/pages/booking/book/index?service_id=${service}` });
  },
  goHome() {
    wx.switchTab({ url: '/pages/home/index/index' });
  },
}));
