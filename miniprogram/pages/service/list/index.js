const catalogue = require('../../../services/catalogue');
const { withBase } = require('../../../utils/page');

Page(withBase({
  data: { query: {}, title: '', items: [] },
  onLoad(options = {}) {
    const query = {};
    ['q', 'department_id'].forEach((k) => {
      if (options[k]) query[k] = decodeURIComponent(options[k]);
    });
    const title = options.title ? decodeURIComponent(options.title) : (query.q ? `搜索：${query.q}` : '全部事项');
    this.setData({ query, title });
    this.reload();
  },
  async reload() {
    const res = await this.runLoad(() => catalogue.services(this.data.query));
    if (res) this.setData({ items: res.items || [] });
  },
  openService(e) {
    wx.navigateTo({ url: `/pages/service/guide/index?id=${e.currentTarget.dataset.id}` });
  },
}));
