const settings = require('../../../services/settings');
const auth = require('../../../services/auth');
const { withBase } = require('../../../utils/page');

Page(withBase({
  data: { modeText: '', loggedIn: false },
  onLoad() {
    let modeText = '正式环境';
    // <sandbox>
    if (settings.mode() !== 'production') modeText = '沙箱环境（模拟支付与消息）';
    // </sandbox>
    this.setData({ modeText });
  },
  onShow() {
    this.setData({ loggedIn: auth.isLoggedIn() });
  },
  onElderChange(e) {
    this.apply(!!(e.detail && e.detail.value));
  },
  noop() {},
  toggleElder() {
    this.apply(!this.data.elder);
  },
  apply(on) {
    settings.setElder(on);
    this.setData({ elder: on, tip: on ? '已开启长辈模式：字更大、对比更强、首页更简洁' : '' });
  },
}));
