// Friendly Chinese messages for the contract's error codes, used when the server sent none.
const BY_CODE = {
  invalid_input: '填写的内容有误，请检查后重试',
  unauthenticated: '登录已过期，请重新登录',
  forbidden: '暂无权限进行此操作',
  not_found: '未找到相关内容',
  slot_full: '该时段已约满，可加入候补',
  already_booked: '您已预约过该事项',
  cancel_too_late: '距预约开始不足 2 小时，已不能取消',
  invalid_state: '当前状态下不能进行此操作',
  rate_limited: '操作过于频繁，请稍后再试',
  realname_required: '请先完成实名认证',
  provider_error: '外部服务暂时不可用，请稍后再试',
  service_unavailable: '服务暂时不可用，请稍后再试',
  internal_error: '系统繁忙，请稍后再试',
  network_error: '网络不可用，请检查网络后重试',
  timeout: '请求超时，请稍后再试',
};

const BY_STATUS = {
  400: BY_CODE.invalid_input,
  401: BY_CODE.unauthenticated,
  403: BY_CODE.forbidden,
  404: BY_CODE.not_found,
  409: '操作与当前状态冲突，请刷新后重试',
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
