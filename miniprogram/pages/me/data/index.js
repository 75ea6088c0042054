const mydata = require('../../../services/mydata');
const { withBase } = require('../../../utils/page');

Page(withBase({
  data: {
    sections: [], keptText: '', deletedText: '', canCancel: false, reasons: [], agreed: false,
    exporting: false, cancelling: false,
  },
  onShow() {
    this.reload();
  },
  async reload() {
    const got = await this.runLoad(() => Promise.all([mydata.overview(), mydata.cancelCheck()]));
    if (!got) return;
    const [overview, check] = got;
    this.json = overview.json;
    this.setData({
      sections: overview.sections,
      keptText: overview.kept.join('、'),
      deletedText: overview.deleted.join('、'),
      canCancel: check.can_cancel,
      reasons: check.reasons,
    });
  },
  async exportArchive() {
    if (this.data.exporting) return;
    this.setData({ exporting: true });
    try {
      await mydata.exportArchive();
      this.say('已导出', 'success');
    } catch (e) {
      this.sayError(e);
    }
    this.setData({ exporting: false });
  },
  copyJson() {
    if (!this.json) return;
    wx.setClipboardData({ data: this.json, success: () => this.say('已复制全部数据') });
  },
  toggleAgree() {
    this.setData({ agreed: !this.data.agreed });
  },
  confirm() {
    return new Promise((resolve) => {
      wx.showModal({
        title: '确认注销账号？',
        content: `注销后不能恢复。办件、缴费记录和电子票据依法保留，但不再关联您的微信；${this.data.deletedText}将被删除，未到的预约自动取消。`,
        confirmText: '注销',
        confirmColor: '#d54941',
        success: (res) => resolve(!!res.confirm),
        fail: () => resolve(false),
      });
    });
  },
  async cancelAccount() {
    if (this.data.cancelling || !this.data.agreed || !this.data.canCancel) return;
    if (!(await this.confirm())) return;
    this.setData({ cancelling: true });
    try {
      await mydata.cancelAccount();
      wx.reLaunch({ url: '/pages/auth/login/index' });
    } catch (e) {
      const reasons = (e && e.details && e.details.reasons) || [];
      this.setData({ cancelling: false, canCancel: reasons.length ? false : this.data.canCancel,
        reasons: reasons.length ? reasons : this.data.reasons });
      this.sayError(e);
    }
  },
}));
