// Chinese messages for error codes, used when the server sent none: the server's catalogue
// (generated from backend/core/errors.py) plus the codes this client makes up itself.
const { ERROR_MESSAGES } = require('./error-messages');

const BY_CODE = Object.assign({}, ERROR_MESSAGES, {
  network_error: '网络不可用，请检查网络后重试',
  timeout: '请求超时，请稍后再试',
});

const BY_STATUS = {
  400: BY_CODE.invalid_input,
  401: BY_CODE.unauthenticated,
  403: BY_CODE.forbidden,
  404: BY_CODE.not_found,
  409: BY_CODE.conflict,
  429: BY_CODE.rate_limited,
};

class ApiError extends Error {
  constructor({ status = 0, code = 'unknown', message, details = {} } = {}) {
    super(message || BY_CODE[code] || BY_STATUS[status] || '系统繁忙，请稍后再试');
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details || {};
  }

  get needLogin() {
    return this.status === 401;
  }
}

// Turn a wx.request answer that is not 2xx into an ApiError, trusting the server's
// Chinese message when it follows the contract's shape {"error": {code, message, details}}.
function fromResponse(statusCode, body) {
  const err = body && typeof body === 'object' && body.error && typeof body.error === 'object' ? body.error : null;
  const code = (err && typeof err.code === 'string' && err.code)
    || (statusCode >= 500 ? 'internal_error' : `http_${statusCode}`);
  let message = err && typeof err.message === 'string' && err.message.trim() ? err.message : '';
  if (!message || statusCode >= 500 && !err) {
    message = BY_CODE[code] || BY_STATUS[statusCode] || BY_CODE.internal_error;
  }
  return new ApiError({ status: statusCode, code, message, details: (err && err.details) || {} });
}

function messageOf(e) {
  if (e && typeof e.message === 'string' && e.message) return e.message;
  return BY_CODE.internal_error;
}

module.exports = { ApiError, fromResponse, messageOf, BY_CODE };
