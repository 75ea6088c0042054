// Give a grant: to a named 帮办员 (their staff number) or another real-name-verified resident (their
// ID number), for some services or all, for a number of days.
const agency = require('../../../services/agency');
const catalogue = require('../../../services/catalogue');
const { validateIdNumber } = require('../../../utils/idcard');
const { withBase } = require('../../../utils/page');

const DAYS = [1, 7, 30, 90];

Page(withBase({
  data: { type: 'staff', username: '', idNumber: '', services: [], days: 7, dayChoices: DAYS, errors: {}, busy: false },
  onLoad() {
    this.reload();
  },
  async reload() {
    const res = await this.runLoad(() => catalogue.services({}));
    if (res) this.setData({ services: (res.items || []).map((s) => ({ id: s.id, name: s.name, on: false })) });
  },
  pickType(e) {
    this.setData({ type: e.currentTarget.dataset.type, errors: {} });
  },
  onUsername(e) {
    this.setData({ username: (e.detail && e.detail.value) || '', errors: {} });
  },
  onIdNumber(e) {
    this.setData({ idNumber: (e.detail && e.detail.value) || '', errors: {} });
  },
  toggleService(e) {
    const { id } = e.currentTarget.dataset;
    this.setData({ services: this.data.services.map((s) => (s.id === id ? { ...s, on: !s.on } : s)) });
  },
  pickDays(e) {
    this.setData({ days: Number(e.currentTarget.dataset.days) });
  },
  validate() {
    const errors = {};
    if (this.data.type === 'staff' && !/^[a-z][a-z0-9_.-]{2,31}$/.test(this.data.username.trim().toLowerCase())) {
      errors.grantee = '请填写帮办员的工号（向窗口工作人员询问）';
    }
    if (this.data.type === 'resident') {
      const problem = validateIdNumber(this.data.idNumber);
      if (problem) errors.grantee = problem;
    }
    this.setData({ errors });
    return !errors.grantee;
  },
  async onSubmit() {
    if (this.data.busy || !this.validate()) return;
    const grantee = this.data.type === 'staff'
      ? { type: 'staff', username: this.data.username.trim().toLowerCase() }
      : { type: 'resident', id_number: this.data.idNumber.trim().toUpperCase() };
    const serviceIds = this.data.services.filter((s) => s.on).map((s) => s.id);
    this.setData({ busy: true, tip: '' });
    try {
      await agency.grant({ grantee, days: this.data.days, ...(serviceIds.length ? { service_ids: serviceIds } : {}) });
      wx.redirectTo({ url: '/pages/agency/list/index' });
    } catch (e) {
      if (e.code === 'realname_required') {
        wx.navigateTo({ url: '/pages/auth/realname/index' });
      } else {
        const fields = (e.details && e.details.fields) || {};
        const grantee = fields['grantee.username'] || fields['grantee.id_number'];
        if (grantee) this.setData({ errors: { grantee } });
        this.sayError(e);
      }
    }
    this.setData({ busy: false });
  },
}));
