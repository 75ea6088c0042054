// Apply online (the form and materials list), or resubmit a case after a correction request.
const catalogue = require('../../../services/catalogue');
const cases = require('../../../services/cases');
const auth = require('../../../services/auth');
const { withBase } = require('../../../utils/page');

const PHONE = /^1[3-9]\d{9}$/;

Page(withBase({
  data: {
    serviceId: '', caseId: '', service: null, materials: [], phone: '', note: '',
    phoneError: '', materialsError: '', correction: '', busy: false, onBehalfOf: '', grantor: '',
  },
  onLoad(options = {}) {
    this.setData({ serviceId: options.service_id || '', caseId: options.case_id || '',
      onBehalfOf: options.on_behalf_of || '', grantor: options.grantor ? decodeURIComponent(options.grantor) : '' });
    wx.setNavigationBarTitle({ title: options.case_id ? '补正材料' : '在线申请' });
    this.reload();
  },
  async reload() {
    if (!auth.isLoggedIn()) {
      this.setData({ error: '请先登录并完成实名认证后再申请', needLogin: true });
      return;
    }
    const res = await this.runLoad(async () => {
      let kase = null;
      let serviceId = this.data.serviceId;
      if (this.data.caseId) {
        kase = await cases.get(this.data.caseId);
        serviceId = kase.service_id;
      }
      const service = await catalogue.service(serviceId);
      return { kase, service, serviceId };
    });
    if (!res) return;
    const { kase, service, serviceId } = res;
    const form = (kase && kase.form) || {};
    const have = form.materials || {};
    const missing = (kase && (kase.missing || (kase.correction && kase.correction.missing))) || [];
    const materials = ((service.guide && service.guide.materials) || []).map((m) => ({
      key: m.key, name: m.name, required: !!m.required, tolerable: !!m.tolerable,
      ready: !!have[m.key] && missing.indexOf(m.key) < 0,
      missing: missing.indexOf(m.key) >= 0,
    }));
    const last = kase && kase.timeline && kase.timeline.length ? kase.timeline[kase.timeline.length - 1] : null;
    this.setData({
      service, serviceId, materials,
      phone: form.contact_phone || '',
      note: form.note || '',
      correction: kase ? ((kase.correction && kase.correction.note) || (last && last.note) || '请按要求补正材料后重新提交') : '',
    });
  },
  onPhone(e) {
    this.setData({ phone: (e.detail && e.detail.value) || '', phoneError: '' });
  },
  onNote(e) {
    this.setData({ note: (e.detail && e.detail.value) || '' });
  },
  toggleMaterial(e) {
    const { key } = e.currentTarget.dataset;
    const materials = this.data.materials.map((m) => (m.key === key ? { ...m, ready: !m.ready } : m));
    this.setData({ materials, materialsError: '' });
  },
  validate() {
    const phoneError = PHONE.test(this.data.phone.trim()) ? '' : '请输入 11 位手机号码';
    const lacking = this.data.materials.filter((m) => m.required && !m.tolerable && !m.ready);
    const materialsError = lacking.length ? `请先备齐：${lacking.map((m) => m.name).join('、')}` : '';
    this.setData({ phoneError, materialsError });
    return !phoneError && !materialsError;
  },
  async onSubmit() {
    if (this.data.busy || !this.validate()) return;
    const materials = {};
    this.data.materials.forEach((m) => { materials[m.key] = m.ready; });
    const form = { contact_phone: this.data.phone.trim(), note: this.data.note.trim(), materials };
    this.setData({ busy: true, tip: '' });
    try {
      const kase = this.data.caseId
        ? await cases.resubmit(this.data.caseId, form)
        : await cases.apply(this.data.serviceId, form, this.data.onBehalfOf);
      wx.redirectTo({ url: `/pages/case/detail/index?id=${kase.id || this.data.caseId}&new=1` });
    } catch (e) {
      if (e.code === 'realname_required') {
        wx.navigateTo({ url: '/pages/auth/realname/index' });
      } else {
        this.sayError(e);
      }
    }
    this.setData({ busy: false });
  },
}));
