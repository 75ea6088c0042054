// 我的证照: the resident's e-licences with their status; each opens its PDF or shows the QR code
// that anyone can scan to verify it. "从电子证照库获取" asks the library (recorded as a fetch).
const licences = require('../../../services/licences');
const { date } = require('../../../utils/format');
const { withBase } = require('../../../utils/page');

function shape(l) {
  const s = licences.statusOf(l.status);
  return {
    id: l.id, name: l.name, number: l.number, issuer: l.issuer, statusText: s.text, statusTheme: s.theme,
    issued: date(l.issued_at), expires: l.expires_at ? date(l.expires_at) : '长期有效',
    source: l.source === 'library' ? '电子证照库' : '本中心颁发',
  };
}

Page(withBase({
  data: { items: [], qr: null, qrFor: '', fetching: false, opening: '' },
  onLoad() {
    this.reload();
  },
  async reload() {
    const res = await this.runLoad(() => licences.list());
    if (res) this.setData({ items: (res.items || []).map(shape) });
  },
  async onPullDownRefresh() {
    await this.fetch();
    wx.stopPullDownRefresh();
  },
  async fetch() {
    if (this.data.fetching) return;
    this.setData({ fetching: true, tip: '' });
    try {
      const res = await licences.refresh('wallet');
      this.setData({ items: (res.items || []).map(shape) });
      this.say(`已从电子证照库获取，共 ${(res.items || []).length} 本`);
    } catch (e) {
      if (e.code === 'realname_required') wx.navigateTo({ url: '/pages/auth/realname/index' });
      else this.sayError(e);
    }
    this.setData({ fetching: false });
  },
  async openPdf(e) {
    const { id } = e.currentTarget.dataset;
    if (this.data.opening) return;
    this.setData({ opening: id, tip: '' });
    try {
      await licences.openPdf(id);
    } catch (err) {
      this.sayError(err);
    }
    this.setData({ opening: '' });
  },
  async showQr(e) {
    const { id } = e.currentTarget.dataset;
    if (this.data.qrFor === id) {
      this.setData({ qr: null, qrFor: '' });
      return;
    }
    try {
      const l = await licences.get(id);
      this.setData({ qrFor: id, qr: { src: `data:image/png;base64,${l.qr_png_base64}`, url: l.verify_url, check: l.check_code } });
    } catch (err) {
      this.sayError(err);
    }
  },
}));
