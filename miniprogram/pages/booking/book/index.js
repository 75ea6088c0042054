const catalogue = require('../../../services/catalogue');
const appointments = require('../../../services/appointments');
const auth = require('../../../services/auth');
const clock = require('../../../utils/clock');
const bookingWindow = require('../../../utils/booking-window');
const { time } = require('../../../utils/format');
const { messageOf } = require('../../../utils/errors');
const { withBase } = require('../../../utils/page');

Page(withBase({
  data: {
    serviceId: '', service: null, halls: [], hallId: '', days: [], date: '', lastReleaseDate: '',
    slots: [], slotsLoading: false, slotsError: '', selected: null, busy: false, waitlisted: '',
  },
  onLoad(options = {}) {
    this.setData({ serviceId: options.service_id || '' });
    this.reload();
  },
  async reload() {
    const res = await this.runLoad(() => Promise.all([
      catalogue.service(this.data.serviceId),
      catalogue.halls(),
      clock.sync(), // the day strip starts on the server's today
    ]));
    if (!res) return;
    const [service, hallList] = res;
    const ids = service.hall_ids || [];
    const halls = (hallList.items || []).filter((h) => !ids.length || ids.indexOf(h.id) >= 0);
    // Today to the last released day (the backend's default until the slots answer names it).
    const days = clock.days(bookingWindow.stripLength(clock.today(), this.data.lastReleaseDate));
    const date = days.some((d) => d.value === this.data.date) ? this.data.date : days[0].value;
    this.setData({ service, halls, hallId: halls.length ? halls[0].id : '', days, date });
    this.loadSlots();
  },
  async loadSlots() {
    if (!this.data.hallId || !this.data.date) return;
    this.setData({ slotsLoading: true, slotsError: '', selected: null, waitlisted: '' });
    try {
      const res = await appointments.slots(this.data.serviceId, this.data.date, this.data.hallId);
      const slots = (res.items || []).map((s) => ({
        ...s,
        label: `${time(s.start)}-${time(s.end)}`,
        full: s.remaining <= 0,
        remainText: s.remaining > 0 ? `余 ${s.remaining}` : '已约满',
      }));
      this.setData({ slots, slotsLoading: false });
      this.fitDays(res.last_release_date);
    } catch (e) {
      this.setData({ slots: [], slotsLoading: false, slotsError: messageOf(e) });
    }
  },
  // The strip ends on the last day the server has released for this service and hall.
  fitDays(lastReleaseDate) {
    if (!lastReleaseDate || lastReleaseDate === this.data.lastReleaseDate) return;
    const days = clock.days(bookingWindow.stripLength(clock.today(), lastReleaseDate));
    const keep = days.some((d) => d.value === this.data.date);
    this.setData({ days, lastReleaseDate, date: keep ? this.data.date : days[0].value });
    if (!keep) this.loadSlots();
  },
  pickHall(e) {
    this.setData({ hallId: e.currentTarget.dataset.id });
    this.loadSlots();
  },
  pickDate(e) {
    this.setData({ date: e.currentTarget.dataset.value });
    this.loadSlots();
  },
  pickSlot(e) {
    const slot = this.data.slots.find((s) => s.id === e.currentTarget.dataset.id);
    this.setData({ selected: slot || null, waitlisted: '', tip: '' });
  },
  ensureLogin() {
    if (auth.isLoggedIn()) return true;
    const back = `/pages/booking/book/index?service_id=${this.data.serviceId}`;
    wx.navigateTo({ url: `/pages/auth/login/index?redirect=${encodeURIComponent(back)}` });
    return false;
  },
  handleError(e) {
    if (e.code === 'realname_required') {
      wx.navigateTo({ url: '/pages/auth/realname/index' });
      return;
    }
    if (e.code === 'slot_full') this.loadSlots();
    this.sayError(e);
  },
  async confirm() {
    const slot = this.data.selected;
    if (!slot || this.data.busy || !this.ensureLogin()) return;
    this.setData({ busy: true });
    try {
      const appt = await appointments.book(slot.id);
      wx.redirectTo({ url: `/pages/booking/detail/index?id=${appt.id}&new=1` });
    } catch (e) {
      this.handleError(e);
    }
    this.setData({ busy: false });
  },
  async joinWaitlist() {
    const slot = this.data.selected;
    if (!slot || this.data.busy || !this.ensureLogin()) return;
    this.setData({ busy: true });
    try {
      const entry = await appointments.joinWaitlist(slot.id);
      const ahead = entry && typeof entry.ahead === 'number' ? `，前面还有 ${entry.ahead} 人` : '';
      this.setData({ waitlisted: `已加入候补${ahead}。有人取消时会通知您确认。` });
    } catch (e) {
      this.handleError(e);
    }
    this.setData({ busy: false });
  },
}));
