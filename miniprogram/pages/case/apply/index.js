// Apply online, resubmit a case after a correction request, or bring a material promised under
// 容缺受理 (supply=1). Each material of the guide is
// given by uploading photos or a PDF (wx.chooseMedia / wx.chooseMessageFile, then wx.uploadFile),
// by a valid e-licence the resident holds where the guide names its type (no paper at all), or
// ticked to bring the paper to the window.
const catalogue = require('../../../services/catalogue');
const cases = require('../../../services/cases');
const auth = require('../../../services/auth');
const files = require('../../../services/files');
const licences = require('../../../services/licences');
const { withBase } = require('../../../utils/page');
const { messageOf } = require('../../../utils/errors');

const PHONE = /^1[3-9]\d{9}$/;
const WEEK = ['日', '一', '二', '三', '四', '五', '六'];

// "12月15日（周二）" in Beijing time.
function dueDay(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const d = new Date(t + 8 * 3600 * 1000);
  return `${d.getUTCMonth() + 1}月${d.getUTCDate()}日（周${WEEK[d.getUTCDay()]}）`;
}

function satisfied(m) {
  return m.ready || m.files.length > 0 || !!(m.licence && m.useLicence);
}

Page(withBase({
  data: {
    serviceId: '', caseId: '', service: null, materials: [], phone: '', note: '',
    phoneError: '', materialsError: '', correction: '', busy: false, uploading: '', onBehalfOf: '', grantor: '',
    supply: false, promised: '',
  },
  onLoad(options = {}) {
    const supply = options.supply === '1' && !!options.case_id;
    this.setData({ serviceId: options.service_id || '', caseId: options.case_id || '', supply,
      onBehalfOf: options.on_behalf_of || '', grantor: options.grantor ? decodeURIComponent(options.grantor) : '' });
    wx.setNavigationBarTitle({ title: supply ? '补交容缺材料' : options.case_id ? '补正材料' : '在线申请' });
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
    const correction = (kase && kase.correction) || {};
    const missing = (kase && (kase.missing || correction.materials || correction.missing)) || [];
    const open = this.data.supply ? ((kase && kase.materials) || [])
      .filter((m) => m.promise && m.promise.status === 'open') : [];
    const owed = open.map((m) => m.key);
    const materials = ((service.guide && service.guide.materials) || [])
      .filter((m) => !this.data.supply || owed.indexOf(m.key) >= 0)
      .map((m) => ({
        key: m.key, name: m.name, required: !!m.required, tolerable: !!m.tolerable,
        licenceType: m.licence_type || '', licence: null, useLicence: false, files: [],
        ready: !this.data.supply && !!have[m.key] && missing.indexOf(m.key) < 0,
        missing: this.data.supply || missing.indexOf(m.key) >= 0,
      }));
    const promised = open.map((m) => `${m.name}（${dueDay(m.promise.due)}前）`).join('、');
    const last = kase && kase.timeline && kase.timeline.length ? kase.timeline[kase.timeline.length - 1] : null;
    this.setData({
      service, serviceId, materials,
      phone: form.contact_phone || '',
      note: form.note || '',
      promised,
      correction: kase ? ((correction.missing && correction.missing.join('；')) || correction.note
        || (last && last.note) || '请按要求补正材料后重新提交') : '',
    });
    if (materials.some((m) => m.licenceType)) await this.offerLicences(serviceId);
  },
  // Fetch the resident's licences for this application (recorded with its purpose) — the grantor's,
  // when filing under a grant — and offer,
  // for each material that names a type, the valid licence of that type instead of an upload.
  async offerLicences(serviceId) {
    let held;
    try {
      const found = this.data.onBehalfOf ? await licences.ofGrantor(this.data.onBehalfOf)
        : await licences.refresh('application', serviceId);
      held = licences.validByType(found.items);
    } catch (e) {
      return; // no licences on offer: uploading and paper still work
    }
    const materials = this.data.materials.map((m) => {
      const l = m.licenceType ? held[m.licenceType] : null;
      return l ? { ...m, licence: { id: l.id, name: l.name, number: l.number, issuer: l.issuer }, useLicence: true } : m;
    });
    this.setData({ materials });
  },
  onPhone(e) {
    this.setData({ phone: (e.detail && e.detail.value) || '', phoneError: '' });
  },
  onNote(e) {
    this.setData({ note: (e.detail && e.detail.value) || '' });
  },
  update(key, change) {
    const materials = this.data.materials.map((m) => (m.key === key ? { ...m, ...change(m) } : m));
    this.setData({ materials, materialsError: '' });
  },
  toggleMaterial(e) {
    this.update(e.currentTarget.dataset.key, (m) => ({ ready: !m.ready }));
  },
  toggleLicence(e) {
    this.update(e.currentTarget.dataset.key, (m) => ({ useLicence: !m.useLicence }));
  },
  removeFile(e) {
    const { key, id } = e.currentTarget.dataset;
    this.update(key, (m) => ({ files: m.files.filter((f) => f.id !== id) }));
  },
  chooseImages(e) {
    return this.pickAndUpload(e.currentTarget.dataset.key, () => files.chooseImages());
  },
  chooseFiles(e) {
    return this.pickAndUpload(e.currentTarget.dataset.key, () => files.chooseFiles());
  },
  async pickAndUpload(key, pick) {
    if (this.data.uploading) return;
    let picked;
    try {
      picked = await pick();
    } catch (err) {
      this.sayError(err);
      return;
    }
    const big = picked.filter(files.tooBig);
    if (big.length) this.say(`${big.map((f) => f.name).join('、')} 超过 10 MB，请压缩后再上传`);
    for (const f of picked.filter((x) => !files.tooBig(x))) {
      this.setData({ uploading: key });
      try {
        const up = await files.upload(f);
        this.update(key, (m) => (m.files.some((x) => x.id === up.id) ? {}
          : { files: [...m.files, { id: up.id, name: up.name, kind: up.kind || '' }] }));
      } catch (err) {
        if (err && err.code === 'realname_required') {
          this.setData({ materialsError: '上传材料需先完成实名认证' });
          wx.navigateTo({ url: '/pages/auth/realname/index' });
          break;
        }
        this.setData({ materialsError: `${f.name}：${messageOf(err)}` });
      }
    }
    this.setData({ uploading: '' });
  },
  validate() {
    if (this.data.supply) {  // files or a licence for each: paper is brought to the window instead
      const owed = this.data.materials.filter((m) => !m.files.length && !(m.licence && m.useLicence));
      const materialsError = owed.length ? `请上传或选用电子证照：${owed.map((m) => m.name).join('、')}` : '';
      this.setData({ materialsError });
      return !materialsError;
    }
    const phoneError = PHONE.test(this.data.phone.trim()) ? '' : '请输入 11 位手机号码';
    const lacking = this.data.materials.filter((m) => (m.required && !m.tolerable || m.missing) && !satisfied(m));
    const materialsError = lacking.length ? `请先备齐：${lacking.map((m) => m.name).join('、')}` : '';
    this.setData({ phoneError, materialsError });
    return !phoneError && !materialsError;
  },
  given() {
    const attachments = [];
    const used = [];
    this.data.materials.forEach((m) => {
      if (m.licence && m.useLicence) used.push({ material_key: m.key, licence_id: m.licence.id });
      else m.files.forEach((f) => attachments.push({ material_key: m.key, file_id: f.id }));
    });
    return { attachments, licences: used };
  },
  async onSubmit() {
    if (this.data.busy || this.data.uploading || !this.validate()) return;
    const materials = {};
    this.data.materials.forEach((m) => {
      materials[m.key] = m.ready && !m.files.length && !(m.licence && m.useLicence);
    });
    const form = { contact_phone: this.data.phone.trim(), note: this.data.note.trim(), materials };
    this.setData({ busy: true, tip: '' });
    if (this.data.supply) {
      try {
        await cases.supply(this.data.caseId, this.given());
        wx.redirectTo({ url: `/pages/case/detail/index?id=${this.data.caseId}` });
      } catch (e) {
        this.sayError(e);
      }
      this.setData({ busy: false });
      return;
    }
    try {
      const kase = this.data.caseId
        ? await cases.resubmit(this.data.caseId, form, this.given())
        : await cases.apply(this.data.serviceId, form, this.given(), this.data.onBehalfOf, cases.submissionKey());
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
