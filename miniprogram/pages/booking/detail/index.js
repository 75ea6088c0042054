const appointments = require('../../../services/appointments');
const clock = require('../../../utils/clock');
const { dateTime, time, date } = require('../../../utils/format');
const { withBase } = require('../../../utils/page');

const CANCEL_HOURS = 2;

Page(withBase({
  data: {
    id: '', isNew: false, appt: null, when: '', qrSrc: '', canCancel: false, cancelNote: '',
    confirming: false, busy: false, queue: null, queueError: '', isToday: false,
  },
  onLoad(options = {}) {
    this.setData({ id: options.id || '', isNew: options.new === '1' });
    this.reload();
  },
  async reload() {
    const [appt] = (await this.runLoad(() => Promise.all([appointments.get(this.data.id), clock.sync()]))) || [];
    if (!appt) return;
    const start = appt.start || (appt.slot && appt.slot.start);
    const end = appt.end || (appt.slot && appt.slot.end);
    const deadlineMs = appt.cancel_deadline ? Date.parse(appt.cancel_deadline) : Date.parse(start) - CANCEL_HOURS * 3600 * 1000;
    const booked = appt.status === 'booked';
    // The deadline and "today" are the server's, not the phone's.
    const canCancel = booked && clock.now() < deadlineMs;
    const isToday = date(start) === clock.today() && (booked || appt.status === 'checked_in');
    this.setData({
      appt,
      when: `${dateTime(start)}-${time(end)}`,
      qrSrc: appt.qr_png_base64 ? `data:image/png;base64,${appt.qr_png_base64}` : '',
      canCancel,
      isToday,
      cancelNote: booked && !canCancel ? '距开始已不足 2 小时，不能在线取消。如无法到场，请拨打大厅电话说明。' : '',
    });
    if (isToday) this.loadQueue();
  },
  async loadQueue() {
    try {
      const queue = await appointments.queue(this.data.id);
      this.setData({ queue, queueError: '' });
    } catch (e) {
      this.setData({ queue: null, queueError: '暂时无法获取排队信息' });
    }
  },
  askCancel() {
    this.setData({ confirming: true });
  },
  keep() {
    this.setData({ confirming: false });
  },
  async doCancel() {
    if (this.data.busy) return;
    this.setData({ busy: true });
    try {
      await appointments.cancel(this.data.id);
      this.setData({ confirming: false });
      this.say('预约已取消', 'success');
      await this.reload();
    } catch (e) {
      this.setData({ confirming: false });
      this.sayError(e);
    }
    this.setData({ busy: false });
  },
  rebook() {
    const { appt } = this.data;
    if (appt) wx.navigateTo({ url: `/pages/booking/book/index?service_id=${appt.service_id}` });
  },
  previewQr() {
    if (this.data.qrSrc) wx.previewImage({ urls: [this.data.qrSrc] });
  },
}));
