// The privacy pop-up (隐私保护指引). With `__usePrivacyCheck__` on, WeChat holds back every API the
// guide declares (choosing photos and files, saving to the album, the clipboard) until the resident
// agrees, and asks the mini-program through wx.onNeedPrivacyAuthorization. The pop-up of the page
// on screen is the one listening: it registers when it is attached and again whenever its page
// comes back to the front (WeChat keeps only the last listener). The resident can read the guide
// (wx.openPrivacyContract), agree (a button with open-type agreePrivacyAuthorization, after which
// WeChat carries on with the call) or decline (the call fails and the page says so).
const AGREE_BUTTON = 'zjb-privacy-agree';

Component({
  data: { show: false, contractName: '《指尖办小程序隐私保护指引》' },
  lifetimes: {
    attached() {
      this.listen();
    },
    detached() {
      this.settle({ event: 'disagree' });
    },
  },
  pageLifetimes: {
    show() {
      this.listen();
    },
  },
  methods: {
    listen() {
      if (typeof wx.onNeedPrivacyAuthorization !== 'function') return;
      wx.onNeedPrivacyAuthorization((resolve) => this.ask(resolve));
    },
    ask(resolve) {
      this.pending = (this.pending || []).concat(resolve);
      this.setData({ show: true });
      if (typeof wx.getPrivacySetting === 'function') {
        wx.getPrivacySetting({
          success: (res) => {
            if (res && res.privacyContractName) this.setData({ contractName: res.privacyContractName });
          },
        });
      }
    },
    settle(result) {
      const pending = this.pending || [];
      this.pending = [];
      pending.forEach((resolve) => resolve(result));
      if (this.data.show) this.setData({ show: false });
    },
    onOpenContract() {
      wx.openPrivacyContract({});
    },
    onAgree() {
      this.settle({ buttonId: AGREE_BUTTON, event: 'agree' });
    },
    onDisagree() {
      this.settle({ event: 'disagree' });
    },
    noop() {},
  },
});
