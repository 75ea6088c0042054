// The sandbox's stand-ins for what WeChat and Alipay themselves would answer (sandbox mode only).
// Every use of this module sits between `// <sandbox>` and `// </sandbox>` lines, which the release
// build (scripts/build-release.js) removes together with this file, so no sandbox hook ships.
const http = require('./request');

// WeChat's stand-in cannot read DevTools' real wx.login codes, so a one-time code is issued for a
// stable per-install sandbox openid, which then goes through the same /auth/wechat-login →
// code2session path as a real one.
function sandboxOpenid() {
  let openid = wx.getStorageSync('zjb.sandbox.openid');
  if (!openid) {
    openid = `o-dev-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    wx.setStorageSync('zjb.sandbox.openid', openid);
  }
  return openid;
}

async function loginCode() {
  const res = await http.post('/sandbox/wechat/login-codes', { openid: sandboxOpenid() }, { auth: false });
  return res.code;
}

// Stands in for wx.startFacialRecognitionVerify: the resident still chooses, and the stand-in
// issues a verifyResult for this install's openid that passes or fails (比对不一致).
async function faceVerifyResult(name, idNumber) {
  const pass = await new Promise((resolve) => {
    wx.showModal({
      title: '沙箱人脸核身',
      content: '模拟微信人脸核身，不会采集人脸',
      confirmText: '核身通过',
      cancelText: '核身失败',
      success: (r) => resolve(!!r.confirm),
      fail: () => resolve(false),
    });
  });
  const res = await http.post('/sandbox/wechat/face-verify',
    { openid: sandboxOpenid(), name, id_number: idNumber, pass }, { auth: false });
  return res.verify_result;
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

module.exports = { loginCode, faceVerifyResult, payByWechat, confirmAlipay, prepayIdOf };
