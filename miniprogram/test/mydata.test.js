// 我的数据: the sections held about the resident, the export (a ZIP sent through WeChat's file
// sheet, or the JSON copied), and cancelling the account with its confirmation.
const fx = require('./fixtures');

const { server, renderPage, text, login, apiError } = T;

beforeEach(() => {
  fx.install(server);
  login();
});

test('lists every section with its count and what cancellation does to it', async () => {
  const t = text(await renderPage('me/data'));
  ['账号与实名信息', '预约记录', '2 条', '缴费记录', '依法保留，仍可查验', '站内消息', '3 条', '全部删除'].forEach(
    (s) => expect(t).toContain(s));
  expect(t).toContain('依法保留（不再关联您的微信）：账号与实名信息、预约记录、缴费记录');
  expect(t).toContain('删除：站内消息、候补登记');
});

test('exports the ZIP through the file sheet, or copies the JSON', async () => {
  server.on('GET', '/me/data/archive', { status: 200, body: '' });
  const page = await renderPage('me/data');
  await T.tapText(page, '导出压缩包');
  expect(server.callsTo('GET', '/me/data/archive')).toHaveLength(1);
  expect(server.callsTo('GET', '/me/data/archive')[0].header.Authorization).toMatch(/^Bearer /);
  expect(wx.shareFileMessage).toHaveBeenCalledWith(expect.objectContaining({
    filePath: expect.any(String), fileName: expect.stringMatching(/^我的数据-\d{8}\.zip$/) }));
  await T.tapText(page, '复制数据');
  const copied = JSON.parse(wx.setClipboardData.mock.calls[0][0].data);
  expect(copied.sections.map((s) => s.key)).toEqual(fx.MY_DATA.sections.map((s) => s.key));
});

test('cancelling asks for the reading and a confirmation, then returns to the login page', async () => {
  server.on('POST', '/me/cancel', { cancelled: true });
  const page = await renderPage('me/data');
  await T.tapText(page, '注销账号');                     // not yet agreed: nothing happens
  expect(server.callsTo('POST', '/me/cancel')).toHaveLength(0);
  await T.tapText(page, '我已阅读并理解以上注销说明');
  wx.showModal.mockImplementationOnce((opts) => opts.success({ confirm: false, cancel: true }));
  await T.tapText(page, '注销账号');                     // declined in the dialog
  expect(server.callsTo('POST', '/me/cancel')).toHaveLength(0);
  await T.tapText(page, '注销账号');
  expect(wx.showModal.mock.calls.pop()[0].content).toContain('不能恢复');
  expect(server.callsTo('POST', '/me/cancel')[0].data).toEqual({ confirm: true });
  expect(wx.getStorageSync('zjb.session')).toBe('');
  expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/auth/login/index' });
});

test('a refusal shows its reasons and keeps the resident signed in', async () => {
  const reason = '有 1 笔缴费正在支付中，请完成支付或等待其超时关闭后再注销';
  server.on('POST', '/me/cancel', apiError(409, 'cancellation_blocked', reason, { reasons: [reason] }));
  const page = await renderPage('me/data');
  await T.tapText(page, '我已阅读并理解以上注销说明');
  await T.tapText(page, '注销账号');
  expect(text(page)).toContain(reason);
  expect(wx.reLaunch).not.toHaveBeenCalled();
  expect(wx.getStorageSync('zjb.session')).not.toBe('');
});

test('when something is in flight the button stays off and says why', async () => {
  server.on('GET', '/me/cancel', { can_cancel: false, reasons: ['有 1 笔退款尚未完成，请等待退款到账后再注销'] });
  const page = await renderPage('me/data');
  expect(text(page)).toContain('有 1 笔退款尚未完成');
  await T.tapText(page, '我已阅读并理解以上注销说明');
  await T.tapText(page, '注销账号');
  expect(server.callsTo('POST', '/me/cancel')).toHaveLength(0);
});
