// 一件事: one form (each field asked once) and one materials checklist for every service of a
// life event; submitting creates one case per service, all together.
const bundles = require('../../../services/bundles');
const auth = require('../../../services/auth');
const { money } = require('../../../utils/format');
const { withBase } = require('../../../utils/page');

// The form schema's properties, in their order, as rows the page can render.
function fieldsOf(schema) {
  const props = (schema && schema.properties) || {};
  const order = (schema && schema['x-order']) || Object.keys(props);
  const required = (schema && schema.required) || [];
  return order.filter((k) => props[k]).map((key) => {
    const p = props[key];
    return {
      key, label: p.title || key, hint: p.description || '', required: required.indexOf(key) >= 0,
      options: p.enum || [], multiline: !!p['x-multiline'], integer: p.type === 'integer',
      inputType: p.type === 'integer' ? 'number' : 'text', pattern: p.pattern || '', message: p['x-message'] || '',
      minimum: p.minimum, maximum: p.maximum, maxLength: p.maxLength || 0,
      services: (p['x-services'] || []).join('、'), value: '', error: '',
    };
  });
}

function problem(f) {
  const v = String(f.value).trim();
  if (!v) return f.required ? `${f.options.length ? '请选择' : '请填写'}${f.label}` : '';
  if (f.options.length && f.options.indexOf(v) < 0) return `请选择${f.label}`;
  if (f.integer) {
    if (!/^\d+$/.test(v)) return '请填写整数';
    const n = Number(v);
    if ((f.minimum !== undefined && n < f.minimum) || (f.maximum !== undefined && n > f.maximum)) {
      return `应在 ${f.minimum}–${f.maximum} 之间`;
    }
  }
  if (f.pattern && !new RegExp(f.pattern).test(v)) return f.message || `${f.label}格式不正确`;
  if (f.maxLength && v.length > f.maxLength) return `不能超过 ${f.maxLength} 个字`;
  return '';
}

Page(withBase({
  data: { id: '', event: null, fields: [], materials: [], shared: [], feeText: '', materialsError: '', busy: false },
  onLoad(options = {}) {
    this.setData({ id: options.id || '' });
    this.reload();
  },
  async reload() {
    const event = await this.runLoad(() => bundles.event(this.data.id));
    if (!event) return;
    wx.setNavigationBarTitle({ title: event.name });
    this.setData({
      event,
      fields: fieldsOf(event.form_schema),
      materials: (event.materials || []).map((m) => ({ ...m, ready: false, services: (m.services || []).join('、') })),
      shared: event.shared_materials || [],
      feeText: event.fee_fen ? `，合计收费 ${money(event.fee_fen)}` : '，均不收费',
    });
  },
  setField(key, value) {
    this.setData({ fields: this.data.fields.map((f) => (f.key === key ? { ...f, value, error: '' } : f)) });
  },
  onField(e) {
    this.setField(e.currentTarget.dataset.key, (e.detail && e.detail.value) || '');
  },
  pick(e) {
    const { key, value } = e.currentTarget.dataset;
    this.setField(key, value);
  },
  toggleMaterial(e) {
    const { key } = e.currentTarget.dataset;
    this.setData({ materials: this.data.materials.map((m) => (m.key === key ? { ...m, ready: !m.ready } : m)),
      materialsError: '' });
  },
  validate() {
    const fields = this.data.fields.map((f) => ({ ...f, error: problem(f) }));
    const lacking = this.data.materials.filter((m) => m.required && !m.tolerable && !m.ready);
    const materialsError = lacking.length ? `请先备齐：${lacking.map((m) => m.name).join('、')}` : '';
    this.setData({ fields, materialsError });
    return !fields.some((f) => f.error) && !materialsError;
  },
  async onSubmit() {
    if (this.data.busy) return;
    if (!auth.isLoggedIn()) {
      this.goLogin();
      return;
    }
    if (!this.validate()) {
      this.say('请按提示完善申请表');
      return;
    }
    const form = {};
    this.data.fields.forEach((f) => {
      const v = String(f.value).trim();
      if (v) form[f.key] = f.integer ? Number(v) : v;
    });
    const materials = this.data.materials.filter((m) => m.ready).map((m) => m.key);
    this.setData({ busy: true, tip: '' });
    try {
      const b = await bundles.apply(this.data.id, form, materials, bundles.submissionKey());
      wx.redirectTo({ url: `/pages/bundle/detail/index?id=${b.id}&new=1` });
    } catch (e) {
      if (e.code === 'realname_required') {
        wx.navigateTo({ url: '/pages/auth/realname/index' });
      } else {
        const bad = (e.details && e.details.fields) || {};
        this.setData({ fields: this.data.fields.map((f) => (bad[`form.${f.key}`] ? { ...f, error: bad[`form.${f.key}`] } : f)) });
        this.sayError(e);
      }
    }
    this.setData({ busy: false });
  },
}));
