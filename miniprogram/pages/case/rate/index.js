const cases = require('../../../services/cases');
const { withBase } = require('../../../utils/page');

const LEVELS = [
  { score: 1, text: '非常不满意' },
  { score: 2, text: '不满意' },
  { score: 3, text: '基本满意' },
  { score: 4, text: '满意' },
  { score: 5, text: '非常满意' },
];

Page(withBase({
  data: { id: '', levels: LEVELS, score: 0, comment: '', busy: false, done: false, formError: '' },
  onLoad(options = {}) {
    this.setData({ id: options.id || '' });
  },
  pick(e) {
    this.setData({ score: Number(e.currentTarget.dataset.score), formError: '' });
  },
  onComment(e) {
    this.setData({ comment: (e.detail && e.detail.value) || '' });
  },
  async onSubmit() {
    if (this.data.busy) return;
    if (!this.data.score) {
      this.setData({ formError: '请选择满意程度' });
      return;
    }
    if (this.data.score <= 2 && !this.data.comment.trim()) {
      this.setData({ formError: '请说明不满意的原因，便于我们改进' });
      return;
    }
    this.setData({ busy: true, formError: '' });
    try {
      await cases.rate(this.data.id, this.data.score, this.data.comment.trim());
      this.setData({ done: true });
    } catch (e) {
      this.setData({ formError: e.message || '提交失败，请稍后重试', needLogin: !!e.needLogin });
    }
    this.setData({ busy: false });
  },
  back() {
    wx.navigateBack();
  },
}));
