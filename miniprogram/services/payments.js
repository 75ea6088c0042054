// Payments and receipts. WeChat Pay opens wx.requestPayment; in sandbox mode the sandbox's
// stand-in takes the sheet's place (services/sandbox.js, left out of the release build).
const http = require('./request');
const api = require('../api/payments');
const privacy = require('../utils/privacy');

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

async function payByWechat(paymentId, amountText) {
  const res = await api.postPaymentsByIdPay(paymentId, { body: { channel: 'wechat' } });
  const params = res.request_payment || {};
  // <sandbox>
  if (http.config().sandbox) return require('./sandbox').payByWechat(params, amountText);
  // </sandbox>
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
        fail: (err) => reject(new Error(privacy.refused(err) ? privacy.refusedMessage('保存到相册')
          : '保存失败，请在设置中允许保存到相册')) }),
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
  isSandbox: () => http.config().sandbox,
  // <sandbox>
  sandboxAlipayConfirm: (outTradeNo) => require('./sandbox').confirmAlipay(outTradeNo),
  // </sandbox>
  receipts: (cursor) => api.getReceipts({ query: { cursor } }),
  receipt: (receiptId) => api.getReceiptsById(receiptId),
  openReceiptPdf,
  saveQrImage,
};
