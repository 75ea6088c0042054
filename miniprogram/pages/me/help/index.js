const settings = require('../../../services/settings');
const { withBase } = require('../../../utils/page');

const FAQ = [
  { q: '预约后不能按时到怎么办？', a: '开始前 2 小时以上可在“我的预约”中取消；不足 2 小时不能在线取消，请致电大厅说明。多次失约会暂停预约资格。' },
  { q: '材料不全能先办吗？', a: '标注“可容缺”的材料可先受理，再在规定期限内补齐。' },
  { q: '办件需要补正怎么办？', a: '在“我的办件”打开该办件，点“去补正”，补齐材料后重新提交即可。' },
  { q: '付款后没有显示成功？', a: '支付结果需要几秒钟确认，请勿重复支付，可在“我的缴费”中查看。' },
  { q: '字太小看不清？', a: '在“我的 → 设置”中打开长辈模式。' },
  { q: '家里老人行动不便，能请人代办吗？', a: '老人可在“我的 → 帮办代办授权”授权大厅帮办员或已实名的家人代为申请，办件仍归老人所有，可随时撤销。' },
];

Page(withBase({
  data: { hotline: '', faq: FAQ },
  onLoad() {
    this.setData({ hotline: settings.hotline() });
  },
  call() {
    wx.makePhoneCall({ phoneNumber: this.data.hotline });
  },
  report() {
    wx.navigateTo({ url: '/pages/complaint/new/index' });
  },
}));
