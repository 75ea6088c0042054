const catalogue = require('../../../services/catalogue');
const bundles = require('../../../services/bundles');
const { withBase } = require('../../../utils/page');

Page(withBase({
  data: { q: '', frequent: [], departments: [], lifeEvents: [] },
  onLoad() {
    this.reload();
  },
  async reload() {
    const res = await this.runLoad(() => Promise.all([
      catalogue.services({ frequent: true }),
      catalogue.departments(),
      bundles.events(),
    ]));
    if (res) {
      this.setData({
        frequent: (res[0].items || []).slice(0, 8),
        departments: res[1].items || [],
        lifeEvents: res[2].items || [],
      });
    }
    wx.stopPullDownRefresh();
  },
  onPullDownRefresh() {
    this.reload();
  },
  onSearchChange(e) {
    this.setData({ q: (e.detail && e.detail.value) || '' });
  },
  onSearch() {
    const q = this.data.q.trim();
    if (!q) {
      this.say('请输入要办理的事项');
      return;
    }
    wx.navigateTo({ url: `/pages/service/list/index?q=${encodeURIComponent(q)}` });
  },
  openService(e) {
    wx.navigateTo({ url: `/pages/service/guide/index?id=${e.currentTarget.dataset.id}` });
  },
  openDepartment(e) {
    const { id, name } = e.currentTarget.dataset;
    wx.navigateTo({ url: `/pages/service/list/index?department_id=${id}&title=${encodeURIComponent(name)}` });
  },
  openLifeEvent(e) {
    wx.navigateTo({ url: `/pages/bundle/event/index?id=${encodeURIComponent(e.currentTarget.dataset.id)}` });
  },
  openPage(e) {
    wx.navigateTo({ url: e.currentTarget.dataset.url });
  },
  openAll() {
    wx.navigateTo({ url: '/pages/service/list/index' });
  },
}));
