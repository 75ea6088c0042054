// WeChat face verification (人脸核身). WeChat compares the resident's live face with the
// public-security photo of the ID number and gives a one-time verifyResult, which the backend
// checks with WeChat (its openid, name and number, once, within minutes). In sandbox mode the WeChat
// stand-in's hook plays WeChat's part.
const http = require('./request');

// WeChat's failure codes, in plain Chinese.
const FACE_ERRORS = {
  10001: '人脸核身参数错误，请核对姓名和身份证号后重试',
  10002: '未能识别到清晰的人脸，请在光线充足处正对手机重试',
  10003: '身份证号与姓名不匹配，请核对后重试',
  10004: '人脸与身份证照片比对不一致，请本人重新核身',
  10020: '人脸核身超时，请重新开始',
  90002: '您已取消人脸核身',
  90003: '您已取消人脸核身',
  90004: '您已取消人脸核身',
  90005: '您已取消人脸核身',
  90006: '您已取消人脸核身',
  90007: '网络不稳定，请检查网络后重试',
  90008: '请在手机设置中允许微信使用相机后重试',
  90010: '请在手机设置中允许微信使用相机和麦克风后重试',
};

class FaceError extends Error {
  constructor(errCode) {
    super(FACE_ERRORS[errCode] || '人脸核身未完成，请稍后重试');
    this.name = 'FaceError';
    this.errCode = errCode;
  }
}

function codeOf(res) {
  const n = Number(res && (res.errCode !== undefined ? res.errCode : res.verifyResult && 0));
  return Number.isFinite(n) ? n : 0;
}

function checkSupport() {
  return new Promise((resolve, reject) => {
    if (typeof wx.checkIsSupportFacialRecognition !== 'function') {
      reject(new Error('当前微信版本不支持人脸核身，请升级微信后重试'));
      return;
    }
    wx.checkIsSupportFacialRecognition({
      checkAliveType: 2,
      success: () => resolve(),
      fail: () => reject(new Error('此手机暂不支持人脸核身，请换一部手机或到政务服务大厅办理')),
    });
  });
}

function startVerify(name, idCardNumber) {
  return new Promise((resolve, reject) => {
    wx.startFacialRecognitionVerify({
      name,
      idCardNumber,
      checkAliveType: 2,
      success: (res) => (res && res.verifyResult ? resolve(res.verifyResult) : reject(new FaceError(codeOf(res)))),
      fail: (res) => reject(new FaceError(codeOf(res))),
    });
  });
}

// The verifyResult of a face verification of this person, made now on this phone.
async function verifyResultFor(name, idNumber) {
  const n = name.trim();
  const id = idNumber.trim().toUpperCase();
  // <sandbox>
  if (http.config().sandbox) return require('./sandbox').faceVerifyResult(n, id);
  // </sandbox>
  await checkSupport();
  return startVerify(n, id);
}

module.exports = { verifyResultFor, FaceError, FACE_ERRORS };
