// 指尖办 mini-program entry. Configuration comes from config/ (see docs/miniprogram.md).
const clock = require('./utils/clock');

App({
  globalData: {},
  // Whenever the mini-program comes to the front, learn the server's time again (utils/clock.js).
  onShow() {
    clock.sync({ maxAgeMs: 60 * 1000 });
  },
});
