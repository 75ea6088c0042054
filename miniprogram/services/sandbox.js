// The sandbox's stand-ins for what WeChat and Alipay themselves would answer (sandbox mode only).
// Every use of this module sits between `// <sandbox>` and `// </sandbox>` lines, which the release
// build (scripts/build-release.js) removes together with this file, so no sandbox hook ships.
const http = require('./request');

// WeChat's stand-in cannot read DevTools' real wx.login codes, so a one-time code is issued for a
// stable per-install sandbox openid, which then goes through the same /auth/wechat-login →
// code2session path as a real one.
async function loginCode() {
  let openid = wx.getStorageSync('zjb.sandbox.openid');
  if (!openid) {
    openid = `o-dev-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    wx.setStorageSync('zjb.sandbox.openid', openid);
  }
  const res = await http.post('/sandbox/wechat/login-codes', { openid }, { auth: false });
  return res.code;
}

function prepayIdOf(pkg) {
  const m = /prepay_id=([^&]+)/.exec(pkg || '');
  return m ? m[1] : '';
}

// Stands in for WeChat's payment sheet: the resident still confirms or cancels; on confirm the
// stand-in sends the signed payment notice.
async function payByWechat(params, amountText) {
  const go = await new Promise((resolve) => {
    wx.showModal({
      title: '沙箱支付',
      content: `模拟微信支付 ${amountText}，不会真实扣款`,
      confirmText: '确认支付',
      cancelText: '取消',
      success: (r) => resolve(!!r.confirm),
      fail: () => resolve(false),
    });
  });
  if (!go) return { outcome: 'cancelled' };
  await http.post('/sandbox/wechatpay/confirm', { prepay_id: prepayIdOf(params.package) }, { auth: false });
  return { outcome: 'submitted' };
}

// Acts as the resident scanning and paying the Alipay QR.
function confirmAlipay(outTradeNo) {
  return http.post('/sandbox/alipay/confirm', { out_trade_no: outTradeNo }, { auth: false });
}

module.exports = { loginCode, payByWechat, confirmAlipay, prepayIdOf };
