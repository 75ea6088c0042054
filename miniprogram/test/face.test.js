// The real-name page's WeChat face verification (人脸核身): in production wx.checkIsSupportFacialRecognition
// then wx.startFacialRecognitionVerify({name, idCardNumber, checkAliveType: 2}), its verifyResult sent
// with the binding; WeChat's error codes in plain Chinese; in sandbox mode the stand-in's hook.
const fx = require('./fixtures');

const { server, renderPage, text, tapText, login, apiError } = T;

beforeEach(() => {
  fx.install(server);
  login({ id: 'u1', realname_verified: false });
});

async function fillAndSubmit(page) {
  await tapText(page, '我同意指尖办收集');
  page.instance.onName({ detail: { value: '张三' } });
  page.instance.onId({ detail: { value: '11010519491231002x' } });
  await tapText(page, '提交认证');
}

const BOUND = { id: 'u1', realname_verified: true, name_masked: '张*', id_number_masked: '1101**********002X' };

describe('in production', () => {
  beforeEach(() => {
    wx.getAccountInfoSync = jest.fn(() => ({ miniProgram: { envVersion: 'release' } }));
    wx.checkIsSupportFacialRecognition = jest.fn((o) => o.success({ errCode: 0 }));
  });

  test('WeChat verifies the face for the typed name and number and the verifyResult goes with the binding', async () => {
    wx.startFacialRecognitionVerify = jest.fn((o) => o.success({ errCode: 0, verifyResult: 'vr-wechat' }));
    server.on('POST', '/me/realname', BOUND);
    const page = await renderPage('auth/realname');
    await fillAndSubmit(page);
    expect(wx.checkIsSupportFacialRecognition).toHaveBeenCalledWith(expect.objectContaining({ checkAliveType: 2 }));
    expect(wx.startFacialRecognitionVerify).toHaveBeenCalledWith(expect.objectContaining({
      name: '张三', idCardNumber: '11010519491231002X', checkAliveType: 2 }));
    expect(server.callsTo('POST', '/me/realname')[0].data).toEqual(
      { name: '张三', id_number: '11010519491231002X', verify_result: 'vr-wechat' });
    expect(server.calls.some((c) => c.path.indexOf('/sandbox/') === 0)).toBe(false);
    expect(text(page)).toContain('实名认证成功');
  });

  test.each([
    [10004, '人脸与身份证照片比对不一致'],
    [10002, '未能识别到清晰的人脸'],
    [10003, '身份证号与姓名不匹配'],
    [10020, '人脸核身超时'],
    [90002, '您已取消人脸核身'],
    [12345, '人脸核身未完成'],
  ])('WeChat code %d reads as plain Chinese and nothing is bound', async (code, words) => {
    wx.startFacialRecognitionVerify = jest.fn((o) => o.fail({ errCode: code, errMsg: 'startFacialRecognitionVerify:fail' }));
    const page = await renderPage('auth/realname');
    await fillAndSubmit(page);
    expect(text(page)).toContain(words);
    expect(text(page)).not.toContain(String(code));
    expect(server.callsTo('POST', '/me/realname')).toHaveLength(0);
  });

  test('a phone without face verification is told what to do', async () => {
    wx.checkIsSupportFacialRecognition = jest.fn((o) => o.fail({ errCode: 10001 }));
    wx.startFacialRecognitionVerify = jest.fn();
    const page = await renderPage('auth/realname');
    await fillAndSubmit(page);
    expect(wx.startFacialRecognitionVerify).not.toHaveBeenCalled();
    expect(text(page)).toContain('此手机暂不支持人脸核身');
  });
});

describe('in sandbox mode', () => {
  test('the stand-in issues the verifyResult; a number bound elsewhere points to the window', async () => {
    server.on('POST', '/sandbox/wechat/face-verify', (c) => {
      expect(c.data).toEqual({ openid: expect.stringMatching(/^o-dev-/), name: '张三', id_number: '11010519491231002X',
        pass: true });
      return { verify_result: 'vr-1' };
    });
    server.on('POST', '/me/realname', apiError(409, 'id_number_already_bound',
      '该身份证号已绑定其他微信账号；如非本人绑定，请携带居民身份证到政务服务大厅窗口办理实名找回', { reclaim: 'at_window' }));
    const page = await renderPage('auth/realname');
    await fillAndSubmit(page);
    expect(wx.showModal).toHaveBeenCalledWith(expect.objectContaining({ title: '沙箱人脸核身' }));
    expect(server.callsTo('POST', '/me/realname')[0].data.verify_result).toBe('vr-1');
    expect(text(page)).toContain('办理实名找回');
    expect(text(page)).toContain('携带本人居民身份证原件到政务服务大厅窗口');
  });

  test('a refused face verification is the server\'s plain words', async () => {
    server.on('POST', '/me/realname', apiError(403, 'face_verification_required',
      '人脸核身未通过（比对人脸信息不匹配），请重新进行人脸核身', { reason: 'failed', identify_ret: 10004 }));
    const page = await renderPage('auth/realname');
    await fillAndSubmit(page);
    expect(text(page)).toContain('人脸核身未通过');
    expect(text(page)).not.toContain('实名认证成功');
  });
});
