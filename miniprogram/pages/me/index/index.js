const auth = require('../../../services/auth');
const { withBase } = require('../../../utils/page');

const MENU = [
  { key: 'appointments', title: '我的预约', url: '/pages/booking/list/index' },
  { key: 'payments', title: '我的缴费', url: '/pages/pay/list/index' },
  { key: 'receipts', title: '电子票据', url: '/pages/receipt/list/index' },
  { key: 'licences', title: '我的证照', url: '/pages/me/licences/index' },
  { key: 'bundles', title: '我的一件事', url: '/pages/bundle/list/index' },
  { key: 'complaints', title: '12345 反映问题', url: '/pages/complaint/list/index' },
  { key: 'agency', title: '帮办代办授权', url: '/pages/agency/list/index' },
  { key: 'code', title: '我的办事码', url: '/pages/agency/code/index' },
  { key: 'inbox', title: '站内信', url: '/pages/me/inbox/index' },
  { key: 'data', title: '我的数据（查阅、导出、注销账号）', url: '/pages/me/data/index' },
  { key: 'settings', title: '设置（长辈模式）', url: '/pages/me/settings/index' },
  { key: 'help', title: '帮助与热线', url: '/pages/me/help/index' },
];

Page(withBase({
  data: { loggedIn: false, me: null, menu: MENU },
  onShow() {
    this.reload();
  },
  async reload() {
    const loggedIn = auth.isLoggedIn();
    this.setData({ loggedIn, me: null, error: '' });
    if (!loggedIn) return;
    const me = await this.runLoad(() => auth.me());
    if (me) this.setData({ me });
    else if (this.data.needLogin) this.setData({ loggedIn: false, error: '' });
  },
  openMenu(e) {
    wx.navigateTo({ url: e.currentTarget.dataset.url });
  },
  goRealname() {
    wx.navigateTo({ url: '/pages/auth/realname/index' });
  },
  async logout() {
    if (this.data.loggingOut) return;
    this.setData({ loggingOut: true });
    await auth.logout();
    this.setData({ loggingOut: false, loggedIn: false, me: null });
    this.say('已退出登录');
  },
}));
