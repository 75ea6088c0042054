// 12345 / 找茬: report a problem, ask for help, suggest or ask; tracked to an answer in working days.
const complaints = require('../../../services/complaints');
const auth = require('../../../services/auth');
const files = require('../../../services/files');
const { withBase } = require('../../../utils/page');

const MAX_PHOTOS = 9;

const CATEGORIES = [
  { key: 'complaint', name: '投诉' },
  { key: 'request', name: '求助' },
  { key: 'suggestion', name: '建议' },
  { key: 'consultation', name: '咨询' },
];

Page(withBase({
  data: {
    categories: CATEGORIES, category: '', content: '', location: '', contactOk: true, phone: '', errors: {}, busy: false,
    photos: [], uploading: false, maxPhotos: MAX_PHOTOS,
  },
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
    this.setData({ contactOk: !!(e.detail && e.detail.value), errors: { ...this.data.errors, phone: '' } });
  },
  onPhone(e) {
    this.setData({ phone: (e.detail && e.detail.value) || '', errors: { ...this.data.errors, phone: '' } });
  },
  // 找茬 一键拍照: camera or album, each photo uploaded as it is picked and attached on submit.
  async addPhotos() {
    const room = MAX_PHOTOS - this.data.photos.length;
    if (this.data.uploading || room <= 0) return;
    let picked;
    try {
      picked = await files.chooseImages(room);
    } catch (err) {
      this.sayError(err);
      return;
    }
    const big = picked.filter(files.tooBig);
    const errors = { ...this.data.errors, photos: big.length ? `${big.length} 张照片超过 10 MB，请压缩后再上传` : '' };
    this.setData({ errors, uploading: picked.length > big.length });
    for (const f of picked.filter((x) => !files.tooBig(x))) {
      try {
        const up = await files.upload(f);
        if (!this.data.photos.some((p) => p.id === up.id)) {
          this.setData({ photos: [...this.data.photos, { id: up.id, path: f.path, name: f.name }] });
        }
      } catch (err) {
        if (err && err.code === 'realname_required') {
          // Photos are stored only for residents with a verified real name; the complaint itself is not.
          this.setData({ errors: { ...this.data.errors, photos: '上传照片需先完成实名认证，不附照片也可以提交诉求' } });
          wx.navigateTo({ url: '/pages/auth/realname/index' });
          break;
        }
        this.setData({ errors: { ...this.data.errors, photos: `${f.name}：${(err && err.message) || '上传失败，请重试'}` } });
      }
    }
    this.setData({ uploading: false });
  },
  removePhoto(e) {
    const { id } = e.currentTarget.dataset;
    this.setData({ photos: this.data.photos.filter((p) => p.id !== id) });
  },
  previewPhoto(e) {
    const urls = this.data.photos.map((p) => p.path);
    wx.previewImage({ current: e.currentTarget.dataset.path, urls });
  },
  validate() {
    const errors = {};
    if (!this.data.category) errors.category = '请选择诉求类型';
    const n = this.data.content.trim().length;
    if (n < 5) errors.content = '请把问题说清楚（至少 5 个字）';
    else if (n > 2000) errors.content = '内容不能超过 2000 字';
    const phone = this.data.phone.trim();
    if (this.data.contactOk && phone && !/^1[3-9]\d{9}$/.test(phone)) errors.phone = '请输入 11 位手机号码，或留空';
    this.setData({ errors });
    return !errors.category && !errors.content && !errors.phone;
  },
  async onSubmit() {
    if (this.data.busy || this.data.uploading || !this.validate()) return;
    this.setData({ busy: true, tip: '' });
    try {
      const location = this.data.location.trim();
      const c = await complaints.submit({
        category: this.data.category, content: this.data.content.trim(), contact_ok: this.data.contactOk,
        ...(location ? { location } : {}),
        ...(this.data.photos.length ? { attachments: this.data.photos.map((p) => p.id) } : {}),
        ...(this.data.contactOk && this.data.phone.trim() ? { contact_phone: this.data.phone.trim() } : {}),
      });
      wx.redirectTo({ url: `/pages/complaint/detail/index?id=${c.id}&new=1` });
    } catch (e) {
      this.sayError(e);
    }
    this.setData({ busy: false });
  },
}));
