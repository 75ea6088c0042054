// 指尖办 mini-program entry. Configuration comes from config/ (see docs/miniprogram.md).
App({
  globalData: {},
});
