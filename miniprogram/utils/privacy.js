// WeChat's answer to a call the privacy guide covers when the resident declined the privacy
// pop-up (components/privacy-popup): errno 104, "privacy permission is not authorized".
function refused(err) {
  return !!err && (err.errno === 104 || /privacy/i.test(err.errMsg || ''));
}

// What the resident reads then, for an action described as `what` (e.g. 选择照片).
function refusedMessage(what) {
  return `您未同意《指尖办小程序隐私保护指引》，无法${what}。同意后可再试一次`;
}

module.exports = { refused, refusedMessage };
