// Payments and receipts. In sandbox mode WeChat's payment sheet is replaced by the sandbox
// confirm hook (the stand-in then sends the signed notice); in production it is wx.requestPayment.
const http = require('./request');
const api = require('../api/payments');

function requestPayment(params) {
  return new Promise((resolve) => {
    wx.requestPayment({
      ...params,
      success: () => resolve({ outcome: 'submitted' }),
      fail: (err) => {
        const msg = (err && err.errMsg) || '';
        resolve(/cancel/i.test(msg) ? { outcome: 'cancelled' } : { outcome: 'failed', message: '支付未完成，请稍后重试' });
      },
    });
  });
}

// The sandbox's stand-in for the payment sheet: the resident still confirms or cancels.
function sandboxSheet(amountText) {
  return new Promise((resolve) => {
    wx.showModal({
      title: '沙箱支付',
      content: `模拟微信支付 ${amountText}，不会真实扣款`,
      confirmText: '确认支付',
      cancelText: '取消',
      success: (r) => resolve(!!r.confirm),
      fail: () => resolve(false),
    });
  });
}

function prepayIdOf(pkg) {
  const m = /prepay_id=([^&]+)/.exec(pkg || '');
  return m ? m[1] : '';
}

async function payByWechat(paymentId, amountText) {
  const res = await api.postPaymentsByIdPay(paymentId, { body: { channel: 'wechat' } });
  const params = res.request_payment || {};
  if (http.config().sandbox) {
    const go = await sandboxSheet(amountText);
    if (!go) return { outcome: 'cancelled' };
    await http.post('/sandbox/wechatpay/confirm', { prepay_id: prepayIdOf(params.package) }, { auth: false });
    return { outcome: 'submitted' };
  }
  return requestPayment({
    timeStamp: params.timeStamp,
    nonceStr: params.nonceStr,
    package: params.package,
    signType: params.signType,
    paySign: params.paySign,
  });
}

async function alipayQr(paymentId) {
  return api.postPaymentsByIdPay(paymentId, { body: { channel: 'alipay' } });
}

// Sandbox only: acts as the resident scanning and paying the Alipay QR.
function sandboxAlipayConfirm(outTradeNo) {
  return http.post('/sandbox/alipay/confirm', { out_trade_no: outTradeNo }, { auth: false });
}

async function openReceiptPdf(receiptId) {
  const filePath = await api.getReceiptsByIdPdf(receiptId);
  await new Promise((resolve, reject) => {
    wx.openDocument({ filePath, fileType: 'pdf', showMenu: true, success: resolve,
      fail: () => reject(new Error('无法打开票据文件，请稍后重试')) });
  });
  return filePath;
}

// Save a base64 PNG (the Alipay QR) to the photo album.
function saveQrImage(base64, name) {
  return new Promise((resolve, reject) => {
    const filePath = `${wx.env.USER_DATA_PATH}/${name}.png`;
    wx.getFileSystemManager().writeFile({
      filePath, data: base64, encoding: 'base64',
      success: () => wx.saveImageToPhotosAlbum({ filePath, success: resolve,
        fail: () => reject(new Error('保存失败，请在设置中允许保存到相册')) }),
      fail: () => reject(new Error('保存失败，请稍后重试')),
    });
  });
}

module.exports = {
  list: (cursor) => api.getPayments({ query: { cursor } }),
  // One case's orders, its bundle's included (each with case_note when paid through the bundle).
  ofCase: (applicationId) => api.getPayments({ query: { application_id: applicationId } }),
  get: (paymentId) => api.getPaymentsById(paymentId),
  payByWechat,
  alipayQr,
  sandboxAlipayConfirm,
  isSandbox: () => http.config().sandbox,
  receipts: (cursor) => api.getReceipts({ query: { cursor } }),
  receipt: (receiptId) => api.getReceiptsById(receiptId),
  openReceiptPdf,
  saveQrImage,
  prepayIdOf,
};
