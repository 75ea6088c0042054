const catalogue = require('../../../services/catalogue');
const { money } = require('../../../utils/format');
const { withBase } = require('../../../utils/page');

function visitsText(guide) {
  if (guide.max_visits === 0) return '零跑腿（全程网办）';
  if (guide.max_visits === 1) return '最多跑一次';
  if (guide.max_visits > 1) return `最多跑 ${guide.max_visits} 次`;
  return '';
}

Page(withBase({
  data: { id: '', service: null, guide: null, feeText: '', visits: '' },
  onLoad(options = {}) {
    this.setData({ id: options.id || '' });
    this.reload();
  },
  async reload() {
    const service = await this.runLoad(() => catalogue.service(this.data.id));
    if (!service) return;
    const guide = { materials: [], ...(service.guide || {}) };
    guide.materials = (guide.materials || []).map((m) => ({
      ...m, badge: m.required ? (m.tolerable ? '必需·可容缺' : '必需') : '选交',
    }));
    this.setData({
      service, guide,
      feeText: guide.fee_fen ? money(guide.fee_fen) : '不收费',
      visits: visitsText(guide),
    });
    wx.setNavigationBarTitle({ title: service.name });
  },
  applyOnline() {
    wx.navigateTo({ url: `/pages/case/apply/index?service_id=${this.data.id}` });
  },
  book() {
    wx.navigateTo({ url: `/pages/booking/book/index?service_id=${this.data.id}` });
  },
  call() {
    if (this.data.guide.contact_phone) wx.makePhoneCall({ phoneNumber: this.data.guide.contact_phone });
  },
}));
