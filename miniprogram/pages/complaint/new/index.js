// 12345 / 找茬: report a problem, ask for help, suggest or ask; tracked to an answer in working days.
const complaints = require('../../../services/complaints');
const auth = require('../../../services/auth');
const { withBase } = require('../../../utils/page');

const CATEGORIES = [
  { key: 'complaint', name: '投诉' },
  { key: 'request', name: '求助' },
  { key: 'suggestion', name: '建议' },
  { key: 'consultation', name: '咨询' },
];

Page(withBase({
  data: { categories: CATEGORIES, category: '', content: '', location: '', contactOk: true, errors: {}, busy: false },
  onShow() {
    if (!auth.isLoggedIn()) this.setData({ error: '登录后才能反映问题，以便告知您办理结果', needLogin: true });
  },
  pickCategory(e) {
    this.setData({ category: e.currentTarget.dataset.key, errors: { ...this.data.errors, category: '' } });
  },
  onContent(e) {
    this.setData({ content: (e.detail && e.detail.value) || '', errors: { ...this.data.errors, content: '' } });
  },
  onLocation(e) {
    this.setData({ location: (e.detail && e.detail.value) || '' });
  },
  onContact(e) {
    this.setData({ contactOk: !!(e.detail && e.detail.value) });
  },
  validate() {
    const errors = {};
    if (!this.data.category) errors.category = '请选择诉求类型';
    const n = this.data.content.trim().length;
    if (n < 5) errors.content = '请把问题说清楚（至少 5 个字）';
    else if (n > 2000) errors.content = '内容不能超过 2000 字';
    this.setData({ errors });
    return !errors.category && !errors.content;
  },
  async onSubmit() {
    if (this.data.busy || !this.validate()) return;
    this.setData({ busy: true, tip: '' });
    try {
      const location = this.data.location.trim();
      const c = await complaints.submit({
        category: this.data.category, content: this.data.content.trim(), contact_ok: this.data.contactOk,
        ...(location ? { location } : {}),
      });
      wx.redirectTo({ url: `/pages/complaint/detail/index?id=${c.id}&new=1` });
    } catch (e) {
      this.sayError(e);
    }
    this.setData({ busy: false });
  },
}));
