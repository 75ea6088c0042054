// 办事码: the resident's dynamic identity code, shown as a QR for the clerk to scan at the window.
// It lasts about a minute; the page fetches a new one before it runs out, while it is shown.
const agency = require('../../../services/agency');
const clock = require('../../../utils/clock');
const { withBase } = require('../../../utils/page');

Page(withBase({
  data: { code: '', qrSrc: '', left: 0 },
  timer: null,
  expiresAt: 0,
  onShow() {
    this.reload();
  },
  onHide() {
    this.stop();
  },
  onUnload() {
    this.stop();
  },
  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  },
  async reload() {
    this.stop();
    const [c] = (await this.runLoad(() => Promise.all([agency.identityCode(), clock.sync({ maxAgeMs: 10 * 60 * 1000 })])))
      || [];
    if (!c) {
      if (this.data.error.indexOf('实名') >= 0) wx.navigateTo({ url: '/pages/auth/realname/index' });
      return;
    }
    this.expiresAt = Date.parse(c.expires_at);
    this.setData({ code: c.code, qrSrc: c.qr_png_base64 ? `data:image/png;base64,${c.qr_png_base64}` : '' });
    this.tick();
    this.timer = setInterval(() => this.tick(), 1000);
  },
  // Seconds left; a few seconds before the end a new code replaces it.
  tick() {
    const left = Math.max(0, Math.round((this.expiresAt - clock.now()) / 1000)); // expires_at is the server's
    this.setData({ left });
    if (left <= 5) this.reload();
  },
}));
