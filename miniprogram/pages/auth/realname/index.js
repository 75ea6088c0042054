const auth = require('../../../services/auth');
const face = require('../../../services/face');
const { validateName, validateIdNumber } = require('../../../utils/idcard');
const { messageOf } = require('../../../utils/errors');
const { withBase } = require('../../../utils/page');

Page(withBase({
  data: {
    consented: false, name: '', idNumber: '', nameError: '', idError: '', busy: false, done: null, redirect: '',
    reclaim: false,
  },
  onLoad(options = {}) {
    this.setData({ redirect: options.redirect ? decodeURIComponent(options.redirect) : '' });
  },
  // The ID number is sensitive personal information: it is asked for only after the resident's
  // own consent to this purpose (个人信息保护法 第二十九条), separate from the login agreement.
  toggleConsent() {
    this.setData({ consented: !this.data.consented, error: '' });
  },
  openPrivacy() {
    wx.navigateTo({ url: '/pages/legal/privacy/index' });
  },
  onName(e) {
    this.setData({ name: (e.detail && e.detail.value) || '', nameError: '' });
  },
  onId(e) {
    this.setData({ idNumber: ((e.detail && e.detail.value) || '').toUpperCase(), idError: '' });
  },
  async onSubmit() {
    if (this.data.busy) return;
    if (!this.data.consented) {
      this.setData({ error: '请先勾选同意处理姓名和身份证号码' });
      return;
    }
    const nameError = validateName(this.data.name);
    const idError = validateIdNumber(this.data.idNumber);
    this.setData({ nameError, idError, error: '' });
    if (nameError || idError) return;
    this.setData({ busy: true });
    try {
      // WeChat face verification of this name and number first (人脸核身): a leaked name and
      // number are not enough to bind someone's identity.
      const verifyResult = await face.verifyResultFor(this.data.name, this.data.idNumber);
      const done = await auth.bindRealname(this.data.name, this.data.idNumber, verifyResult);
      this.setData({ done, name: '', idNumber: '', reclaim: false });
    } catch (e) {
      const fields = (e.details && e.details.fields) || {};
      this.setData({
        error: messageOf(e),
        needLogin: !!e.needLogin,
        // Bound to another account: the holder reclaims it at the window (the face verification
        // just made is what the clerk's reclaim relies on).
        reclaim: e.code === 'id_number_already_bound',
        nameError: fields.name ? '姓名有误，请核对' : '',
        idError: fields.id_number ? '身份证号有误，请核对' : '',
      });
    }
    this.setData({ busy: false });
  },
  onContinue() {
    if (this.data.redirect) {
      wx.redirectTo({ url: this.data.redirect });
    } else {
      wx.switchTab({ url: '/pages/me/index/index' });
    }
  },
}));
