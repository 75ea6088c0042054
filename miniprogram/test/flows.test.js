// The main resident flows, page by page, against the fake backend.
const fx = require('./fixtures');

const { server, renderPage, renderComponent, text, tapText, flush, login, apiError } = T;

function lastNav(fn) {
  const calls = fn.mock.calls;
  const url = calls[calls.length - 1][0].url;
  const [p, q = ''] = url.split('?');
  const query = Object.fromEntries(q.split('&').filter(Boolean).map((kv) => kv.split('=')));
  return { path: p.replace(/^\/pages\//, '').replace(/\/index$/, ''), query, url };
}

beforeEach(() => {
  fx.install(server);
});

describe('login → real-name → book → cancel', () => {
  test('the whole way through', async () => {
    // Login (sandbox: a one-time code from the WeChat stand-in for this install's openid)
    server.on('POST', '/sandbox/wechat/login-codes', (c) => {
      expect(c.url).toBe('http://127.0.0.1:8000/sandbox/wechat/login-codes');
      expect(c.data.openid).toMatch(/^o-dev-/);
      return { status: 201, body: { code: 'sbx-code-1' } };
    });
    server.on('POST', '/auth/wechat-login', (c) => {
      expect(c.data).toEqual({ code: 'sbx-code-1' });
      return { access_token: 'access-1', refresh_token: 'refresh-1', expires_in: 900, user: { id: 'u1', realname_verified: false } };
    });
    const loginPage = await renderPage('auth/login', { redirect: encodeURIComponent('/pages/booking/book/index?service_id=svc1') });
    await tapText(loginPage, '微信一键登录');
    expect(text(loginPage)).toContain('请先阅读并同意');
    await tapText(loginPage, '我已阅读并同意');
    await tapText(loginPage, '微信一键登录');
    let nav = lastNav(wx.redirectTo);
    expect(nav.path).toBe('auth/realname');
    expect(wx.getStorageSync('zjb.session').accessToken).toBe('access-1');

    // Real-name: client-side validation first, then the server
    server.on('POST', '/sandbox/wechat/face-verify', (c) => {
      expect(c.data).toEqual({ openid: expect.stringMatching(/^o-dev-/), name: '张三', id_number: '11010519491231002X', pass: true });
      return { verify_result: 'vr-1' };
    });
    server.on('POST', '/me/realname', (c) => {
      expect(c.data).toEqual({ name: '张三', id_number: '11010519491231002X', verify_result: 'vr-1' });
      expect(c.header.Authorization).toBe('Bearer access-1');
      return { id: 'u1', realname_verified: true, name_masked: '张*', id_number_masked: '1101**********002X' };
    });
    const rn = await renderPage('auth/realname', nav.query);
    await tapText(rn, '我同意指尖办收集');
    rn.instance.onName({ detail: { value: 'Zhang' } });
    rn.instance.onId({ detail: { value: '110105194912310021' } });
    await tapText(rn, '提交认证');
    expect(text(rn)).toContain('请输入与身份证一致的中文姓名');
    expect(text(rn)).toContain('校验位不正确');
    expect(server.callsTo('POST', '/me/realname')).toHaveLength(0);
    rn.instance.onName({ detail: { value: '张三' } });
    rn.instance.onId({ detail: { value: '11010519491231002x' } });
    await tapText(rn, '提交认证');
    expect(text(rn)).toContain('实名认证成功');
    expect(text(rn)).toContain('1101**********002X');
    await tapText(rn, '继续');
    nav = lastNav(wx.redirectTo);
    expect(nav.url).toBe('/pages/booking/book/index?service_id=svc1');

    // Book: hall, date, slot with remaining, confirm
    server.on('POST', '/appointments', (c) => {
      expect(c.data).toEqual({ slot_id: 'sl1' });
      return { status: 201, body: { ...fx.APPOINTMENT } };
    });
    const book = await renderPage('booking/book', nav.query);
    expect(server.callsTo('GET', '/services/svc1/slots')[0].query).toMatchObject({ hall_id: 'hall1' });
    await tapText(book, '09:00-10:00');
    expect(text(book)).toContain('开始前 2 小时以上可在线取消');
    await tapText(book, '确认预约');
    nav = lastNav(wx.redirectTo);
    expect(nav).toMatchObject({ path: 'booking/detail', query: { id: 'ap1', new: '1' } });

    // Detail: code, QR from qr_png_base64, cancel with inline confirmation (no pop-up)
    const detail = await renderPage('booking/detail', nav.query);
    expect(text(detail)).toContain('K7PX3M9Q');
    expect(detail.dom.querySelector('wx-image')).toBeTruthy();
    expect(detail.data.qrSrc).toBe('data:image/png;base64,iVBORw0KGgo=');
    expect(text(detail)).toContain('订阅预约提醒');
    let cancelled = false;
    server.on('POST', '/appointments/ap1/cancel', () => { cancelled = true; return { status: 'cancelled' }; });
    server.on('GET', '/appointments/ap1', () => ({ ...fx.APPOINTMENT, status: cancelled ? 'cancelled' : 'booked' }));
    wx.showModal.mockClear();  // the sandbox's face verification asked earlier in the flow
    await tapText(detail, '取消预约');
    expect(text(detail)).toContain('确定取消这次预约吗');
    expect(wx.showModal).not.toHaveBeenCalled();
    await tapText(detail, '确认取消');
    expect(cancelled).toBe(true);
    expect(text(detail)).toContain('已取消');
    expect(text(detail)).not.toContain('确认取消');
  });

  test('in production, login uses the wx.login code', async () => {
    wx.getAccountInfoSync = jest.fn(() => ({ miniProgram: { envVersion: 'release' } }));
    server.on('POST', '/auth/wechat-login', { access_token: 'a', refresh_token: 'r', expires_in: 900, user: { id: 'u1', realname_verified: true } });
    const page = await renderPage('auth/login');
    await tapText(page, '我已阅读并同意');
    await tapText(page, '微信一键登录');
    expect(wx.login).toHaveBeenCalled();
    expect(server.callsTo('POST', '/auth/wechat-login')[0].data).toEqual({ code: 'test-resident' });
    expect(server.calls.some((c) => c.path.indexOf('/sandbox/') === 0)).toBe(false);
    expect(wx.navigateBack).toHaveBeenCalled();
  });

  test('a server-side ID rejection shows the server message on the field', async () => {
    login({ id: 'u1', realname_verified: false });
    server.on('POST', '/me/realname', apiError(400, 'invalid_input', '身份证号与姓名不匹配', { fields: { id_number: 'mismatch' } }));
    const rn = await renderPage('auth/realname');
    await tapText(rn, '我同意指尖办收集');
    rn.instance.onName({ detail: { value: '张三' } });
    rn.instance.onId({ detail: { value: '11010519491231002X' } });
    await tapText(rn, '提交认证');
    expect(text(rn)).toContain('身份证号与姓名不匹配');
    expect(text(rn)).toContain('身份证号有误，请核对');
  });

  test('booking while logged out goes to login first', async () => {
    const book = await renderPage('booking/book', { service_id: 'svc1' });
    await tapText(book, '09:00-10:00');
    await tapText(book, '确认预约');
    expect(lastNav(wx.navigateTo).path).toBe('auth/login');
    expect(server.callsTo('POST', '/appointments')).toHaveLength(0);
  });

  test('a full slot offers the waitlist', async () => {
    login();
    server.on('POST', '/slots/sl2/waitlist', { status: 201, body: { id: 'w1', slot_id: 'sl2', status: 'waiting', ahead: 2 } });
    const book = await renderPage('booking/book', { service_id: 'svc1' });
    await tapText(book, '10:00-11:00');
    expect(text(book)).not.toContain('确认预约');
    await tapText(book, '已约满，加入候补');
    expect(text(book)).toContain('已加入候补，前面还有 2 人');
  });

  test('slot taken meanwhile: the server message is shown and slots reload', async () => {
    login();
    server.on('POST', '/appointments', apiError(409, 'slot_full', '该时段已约满'));
    const book = await renderPage('booking/book', { service_id: 'svc1' });
    await tapText(book, '09:00-10:00');
    const before = server.callsTo('GET', '/services/svc1/slots').length;
    await tapText(book, '确认预约');
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '该时段已约满' }));
    expect(server.callsTo('GET', '/services/svc1/slots').length).toBe(before + 1);
  });

  test('too late to cancel: explained, no cancel button', async () => {
    login();
    server.on('GET', '/appointments/ap1', { ...fx.APPOINTMENT, cancel_deadline: '2020-01-01T00:00:00+08:00' });
    const detail = await renderPage('booking/detail', { id: 'ap1' });
    expect(text(detail)).toContain('不足 2 小时，不能在线取消');
    expect(text(detail)).not.toContain('取消预约');
  });

  test('on the day, the queue position is shown', async () => {
    login();
    const day = require('../utils/clock').today();
    const start = `${day}T23:30:00+08:00`;
    server.on('GET', '/appointments/ap1', { ...fx.APPOINTMENT, status: 'checked_in', start, end: start, cancel_deadline: start });
    server.on('GET', '/appointments/ap1/queue', { ticket_number: 'A012', ahead: 3, status: 'waiting', window_number: '05' });
    const detail = await renderPage('booking/detail', { id: 'ap1' });
    const t = text(detail);
    expect(t).toContain('今日排队');
    expect(t).toContain('A012');
    expect(t).toContain('3 人');
    expect(t).toContain('05 号');
  });

  test('not on the day: no queue call', async () => {
    login();
    await renderPage('booking/detail', { id: 'ap1' });
    expect(server.callsTo('GET', '/appointments/ap1/queue')).toHaveLength(0);
  });

  test('waitlist offer can be accepted from my appointments', async () => {
    login();
    server.on('GET', '/me/waitlist', { items: [{ id: 'w1', slot_id: 'sl2', status: 'offered', service_name: '户口迁移', hall_name: '市民中心',
      start: '2030-01-07T10:00:00+08:00', end: '2030-01-07T11:00:00+08:00' }] });
    server.on('POST', '/waitlist/w1/accept', { status: 'accepted', appointment_id: 'ap9' });
    const list = await renderPage('booking/list');
    expect(text(list)).toContain('有空位，待确认');
    await tapText(list, '确认预约');
    expect(lastNav(wx.navigateTo)).toMatchObject({ path: 'booking/detail', query: { id: 'ap9' } });
  });
});

describe('payment', () => {
  beforeEach(() => login());

  test('WeChat in sandbox: the sandbox hook replaces the sheet, then the result page polls until paid', async () => {
    server.on('POST', '/payments/pay1/pay', (c) => {
      expect(c.data).toEqual({ channel: 'wechat' });
      return { channel: 'wechat', request_payment: { timeStamp: '1', nonceStr: 'n', package: 'prepay_id=wx123abc', signType: 'RSA', paySign: 's' } };
    });
    server.on('POST', '/sandbox/wechatpay/confirm', { ok: true });
    const order = await renderPage('pay/order', { id: 'pay1' });
    await tapText(order, '微信支付');
    expect(wx.showModal).toHaveBeenCalledWith(expect.objectContaining({ title: '沙箱支付' }));
    const confirm = server.callsTo('POST', '/sandbox/wechatpay/confirm')[0];
    expect(confirm.data).toEqual({ prepay_id: 'wx123abc' });
    expect(confirm.url).toBe('http://127.0.0.1:8000/sandbox/wechatpay/confirm');
    expect(wx.requestPayment).not.toHaveBeenCalled();
    expect(lastNav(wx.redirectTo)).toMatchObject({ path: 'pay/result', query: { id: 'pay1' } });

    let polls = 0;
    server.on('GET', '/payments/pay1', () => {
      polls += 1;
      if (polls === 1) return { ...fx.PAYMENT };
      if (polls === 2) return { ...fx.PAYMENT, status: 'paid' };
      return { ...fx.PAYMENT, status: 'paid', receipt_id: 'r1' };
    });
    const result = await renderPage('pay/result', { id: 'pay1' });
    expect(text(result)).toContain('正在确认支付结果');
    await result.instance.poll();
    expect(text(result)).toContain('电子票据开具中');
    await result.instance.poll();
    expect(text(result)).toContain('支付成功');
    expect(text(result)).toContain('¥10.50');
    result.instance.stop();
    await tapText(result, '查看电子票据');
    expect(lastNav(wx.redirectTo)).toMatchObject({ path: 'receipt/detail', query: { id: 'r1' } });
  });

  test('WeChat in sandbox: user cancels the stand-in sheet', async () => {
    server.on('POST', '/payments/pay1/pay', { channel: 'wechat', request_payment: { package: 'prepay_id=wx1' } });
    wx.showModal = jest.fn((o) => o.success({ confirm: false, cancel: true }));
    const order = await renderPage('pay/order', { id: 'pay1' });
    await tapText(order, '微信支付');
    expect(server.callsTo('POST', '/sandbox/wechatpay/confirm')).toHaveLength(0);
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '您已取消支付，可随时重新支付' }));
    expect(wx.redirectTo).not.toHaveBeenCalled();
  });

  describe('WeChat in production', () => {
    beforeEach(() => {
      wx.getAccountInfoSync = jest.fn(() => ({ miniProgram: { envVersion: 'release' } }));
      server.on('POST', '/payments/pay1/pay', { channel: 'wechat', request_payment: { timeStamp: '1700000000', nonceStr: 'abc', package: 'prepay_id=wx9', signType: 'RSA', paySign: 'sig' } });
    });

    test('calls wx.requestPayment with the backend parameters, then polls', async () => {
      const order = await renderPage('pay/order', { id: 'pay1' });
      expect(text(order)).not.toContain('沙箱环境');
      await tapText(order, '微信支付');
      expect(wx.requestPayment).toHaveBeenCalledWith(expect.objectContaining({
        timeStamp: '1700000000', nonceStr: 'abc', package: 'prepay_id=wx9', signType: 'RSA', paySign: 'sig' }));
      expect(server.calls.some((c) => c.path.indexOf('/sandbox/') === 0)).toBe(false);
      expect(lastNav(wx.redirectTo).path).toBe('pay/result');
    });

    test('user cancel stays on the order', async () => {
      wx.requestPayment = jest.fn((o) => o.fail({ errMsg: 'requestPayment:fail cancel' }));
      const order = await renderPage('pay/order', { id: 'pay1' });
      await tapText(order, '微信支付');
      expect(wx.redirectTo).not.toHaveBeenCalled();
      expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '您已取消支付，可随时重新支付' }));
    });

    test('payment failure is explained', async () => {
      wx.requestPayment = jest.fn((o) => o.fail({ errMsg: 'requestPayment:fail system error' }));
      const order = await renderPage('pay/order', { id: 'pay1' });
      await tapText(order, '微信支付');
      expect(text(order)).toContain('支付未完成，请稍后重试');
      expect(wx.redirectTo).not.toHaveBeenCalled();
    });
  });

  test('the backend refuses (order closed): its message is shown and the order reloads', async () => {
    let closed = false;
    server.on('POST', '/payments/pay1/pay', () => { closed = true; return apiError(409, 'invalid_state', '该缴费单已关闭'); });
    server.on('GET', '/payments/pay1', () => ({ ...fx.PAYMENT, status: closed ? 'closed' : 'unpaid' }));
    const order = await renderPage('pay/order', { id: 'pay1' });
    await tapText(order, '微信支付');
    await flush();
    expect(text(order)).toContain('该缴费单已关闭');
    expect(text(order)).toContain('已关闭');
    expect(text(order)).not.toContain('支付宝扫码支付');
  });

  test('Alipay: QR to scan or save; sandbox scan; result', async () => {
    server.on('POST', '/payments/pay1/pay', (c) => {
      expect(c.data).toEqual({ channel: 'alipay' });
      return { channel: 'alipay', qr_code: 'https://qr.alipay.com/abc', qr_png_base64: 'QUxJUEFZ' };
    });
    server.on('POST', '/sandbox/alipay/confirm', { ok: true });
    const order = await renderPage('pay/order', { id: 'pay1' });
    await tapText(order, '支付宝扫码支付');
    expect(text(order)).toContain('请使用支付宝扫描二维码支付');
    expect(order.dom.querySelector('wx-image')).toBeTruthy();
    expect(order.data.alipaySrc).toBe('data:image/png;base64,QUxJUEFZ');
    await tapText(order, '保存二维码');
    expect(wx.saveImageToPhotosAlbum).toHaveBeenCalledWith(expect.objectContaining({ filePath: 'wxfile://usr/alipay-pay1.png' }));
    await tapText(order, '沙箱：模拟扫码支付');
    expect(server.callsTo('POST', '/sandbox/alipay/confirm')[0].data).toEqual({ out_trade_no: 'ZJB2024050600001' });
    expect(lastNav(wx.redirectTo).path).toBe('pay/result');
  });

  test('Alipay failure to get a QR is explained', async () => {
    server.on('POST', '/payments/pay1/pay', apiError(502, 'provider_error', '支付宝暂时不可用，请稍后再试'));
    const order = await renderPage('pay/order', { id: 'pay1' });
    await tapText(order, '支付宝扫码支付');
    expect(text(order)).toContain('支付宝暂时不可用');
  });

  test('result page gives up politely when no notice lands', async () => {
    const result = await renderPage('pay/result', { id: 'pay1' });
    result.setData({ tries: 29 });
    await result.instance.poll();
    expect(text(result)).toContain('切勿重复支付');
    await tapText(result, '重新查询');
    expect(text(result)).toContain('正在确认支付结果');
    result.instance.stop();
  });

  test('receipt PDF opens with downloadFile + openDocument', async () => {
    server.on('GET', '/receipts/r1/pdf', {});
    const page = await renderPage('receipt/detail', { id: 'r1' });
    await tapText(page, '查看 PDF 票据');
    expect(wx.downloadFile).toHaveBeenCalledWith(expect.objectContaining({
      url: 'http://127.0.0.1:8000/api/v1/receipts/r1/pdf', header: { Authorization: 'Bearer access-1' } }));
    expect(wx.openDocument).toHaveBeenCalledWith(expect.objectContaining({ filePath: 'wxfile://tmp/receipt.pdf', fileType: 'pdf' }));
  });
});

describe('cases', () => {
  beforeEach(() => login());

  test('apply online: validation, then the case with its timeline', async () => {
    server.on('POST', '/applications', (c) => ({ status: 201, body: { ...fx.CASE, id: 'c2', status: 'submitted', form: c.data.form } }));
    const apply = await renderPage('case/apply', { service_id: 'svc1' });
    await tapText(apply, '提交申请');
    expect(text(apply)).toContain('请输入 11 位手机号码');
    expect(text(apply)).toContain('请先备齐：居民身份证');
    apply.instance.onPhone({ detail: { value: '13800001111' } });
    await tapText(apply, '居民身份证');
    await tapText(apply, '提交申请');
    const sent = server.callsTo('POST', '/applications')[0].data;
    // The checklist goes out as the keys of what is ready, beside the form's fields.
    expect(sent).toEqual({ service_id: 'svc1', form: { contact_phone: '13800001111', note: '' }, materials: ['id_card'] });
    expect(lastNav(wx.redirectTo)).toMatchObject({ path: 'case/detail', query: { id: 'c2', new: '1' } });
  });

  test('timeline renders every step in order with notes', async () => {
    const page = await renderPage('case/detail', { id: 'c1' });
    const t = text(page);
    expect(t.indexOf('已提交')).toBeLessThan(t.indexOf('已受理'));
    expect(t.indexOf('已受理')).toBeLessThan(t.indexOf('窗口受理'));
    expect(t).toContain('2024-05-07 11:00');
  });

  test('correction → resubmit', async () => {
    const kase = { ...fx.CASE, status: 'correction_requested', missing: ['hukou_book'],
      timeline: [...fx.CASE.timeline, { status: 'correction_requested', at: '2024-05-08T09:00:00+08:00', note: '户口簿复印件不清晰' }] };
    server.on('GET', '/applications/c1', kase);
    server.on('POST', '/applications/c1/resubmit', { ...kase, status: 'submitted' });
    const detail = await renderPage('case/detail', { id: 'c1' });
    expect(text(detail)).toContain('需要补正材料');
    await tapText(detail, '去补正');
    const nav = lastNav(wx.navigateTo);
    expect(nav).toMatchObject({ path: 'case/apply', query: { case_id: 'c1' } });
    const apply = await renderPage('case/apply', nav.query);
    expect(text(apply)).toContain('户口簿复印件不清晰');
    expect(text(apply)).toContain('需补正');
    await tapText(apply, '户口簿');
    await tapText(apply, '重新提交');
    expect(server.callsTo('POST', '/applications/c1/resubmit')[0].data.materials).toContain('hukou_book');
    expect(lastNav(wx.redirectTo)).toMatchObject({ path: 'case/detail', query: { id: 'c1' } });
  });

  test('withdraw with inline confirmation', async () => {
    let withdrawn = false;
    server.on('GET', '/applications/c1', () => ({ ...fx.CASE, status: withdrawn ? 'withdrawn' : 'submitted' }));
    server.on('POST', '/applications/c1/withdraw', () => { withdrawn = true; return { status: 'withdrawn' }; });
    const detail = await renderPage('case/detail', { id: 'c1' });
    await tapText(detail, '撤回申请');
    await tapText(detail, '确认撤回');
    expect(withdrawn).toBe(true);
    expect(text(detail)).toContain('已撤回');
  });

  test('rating after completion: 5 levels and a comment', async () => {
    server.on('GET', '/applications/c1', { ...fx.CASE, status: 'completed' });
    server.on('POST', '/applications/c1/rating', { status: 201, body: {} });
    const detail = await renderPage('case/detail', { id: 'c1' });
    await tapText(detail, '评价办理');
    const rate = await renderPage('case/rate', lastNav(wx.navigateTo).query);
    await tapText(rate, '提交评价');
    expect(text(rate)).toContain('请选择满意程度');
    await tapText(rate, '不满意');
    await tapText(rate, '提交评价');
    expect(text(rate)).toContain('请说明不满意的原因');
    await tapText(rate, '非常满意');
    rate.instance.onComment({ detail: { value: '窗口很耐心' } });
    await tapText(rate, '提交评价');
    expect(server.callsTo('POST', '/applications/c1/rating')[0].data).toEqual({ score: 5, comment: '窗口很耐心' });
    expect(text(rate)).toContain('感谢您的评价');
  });
});

describe('inbox and subscriptions', () => {
  beforeEach(() => login());

  test('opening a message marks it read', async () => {
    server.on('POST', '/me/inbox/m1/read', {});
    const inbox = await renderPage('me/inbox');
    await tapText(inbox, '办件已受理');
    expect(text(inbox)).toContain('您的户口迁移已受理');
    expect(server.callsTo('POST', '/me/inbox/m1/read')).toHaveLength(1);
    await tapText(inbox, '查看详情');
    expect(lastNav(wx.navigateTo)).toMatchObject({ path: 'case/detail', query: { id: 'c1' } });
  });

  test('a message links to what it refers to, the most specific first', async () => {
    server.on('GET', '/me/inbox', { items: [
      { id: 'm2', kind: 'payment.created', title: '待缴费', text: '请缴纳户口迁移的费用', body: '请缴纳户口迁移的费用', read: true,
        created_at: '2024-05-06T10:00:00+08:00', ref: { application_id: 'c1', payment_id: 'pay1' } },
      { id: 'm3', kind: 'case.rectification_reply', title: '评价整改答复', text: '已增开窗口', body: '已增开窗口', read: true,
        created_at: '2024-05-06T11:00:00+08:00', ref: {} },
    ], next_cursor: null, unread: 0 });
    const inbox = await renderPage('me/inbox');
    expect(inbox.data.items.map((m) => m.link)).toEqual(['/pages/pay/order/index?id=pay1', '']);
    await tapText(inbox, '待缴费');
    await tapText(inbox, '查看详情');
    expect(lastNav(wx.navigateTo)).toMatchObject({ path: 'pay/order', query: { id: 'pay1' } });
  });

  test('consent is asked only on a tap, for the backend template ids, and accepted keys are recorded', async () => {
    server.on('POST', '/me/subscriptions', {});
    wx.requestSubscribeMessage = jest.fn((o) => o.success({ errMsg: 'ok', 'tpl-a': 'accept', 'tpl-b': 'reject', 'tpl-c': 'accept' }));
    const card = await renderComponent('subscribe-card');
    expect(text(card)).toContain('预约提醒');
    expect(wx.requestSubscribeMessage).not.toHaveBeenCalled();
    await tapText(card, '订阅消息提醒');
    expect(wx.requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(['tpl-a', 'tpl-b', 'tpl-c']);
    expect(server.callsTo('POST', '/me/subscriptions')[0].data).toEqual({ accepted: ['appointment_reminder', 'payment_notice'] });
    expect(text(card)).toContain('已订阅 2 项提醒');
  });

  test('more than 5 templates: 5 per tap', async () => {
    const many = Array.from({ length: 7 }, (_, i) => ({ key: `k${i}`, template_id: `t${i}`, title: `提醒${i}` }));
    server.on('GET', '/me/subscriptions', { templates: many, quota: {} });
    server.on('POST', '/me/subscriptions', {});
    const card = await renderComponent('subscribe-card');
    await tapText(card, '订阅消息提醒');
    expect(wx.requestSubscribeMessage.mock.calls[0][0].tmplIds).toHaveLength(5);
    await tapText(card, '继续订阅其余提醒');
    expect(wx.requestSubscribeMessage.mock.calls[1][0].tmplIds).toEqual(['t5', 't6']);
  });

  test('all refused: nothing is recorded', async () => {
    wx.requestSubscribeMessage = jest.fn((o) => o.success({ errMsg: 'ok', 'tpl-a': 'reject', 'tpl-b': 'reject', 'tpl-c': 'reject' }));
    const card = await renderComponent('subscribe-card', { keys: ['case_progress'] });
    expect(text(card)).not.toContain('预约提醒');
    await tapText(card, '订阅消息提醒');
    expect(wx.requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(['tpl-b']);
    expect(server.callsTo('POST', '/me/subscriptions')).toHaveLength(0);
    expect(text(card)).toContain('未订阅提醒');
  });
});

describe('elder mode (适老化)', () => {
  test('switching it on makes the home page simpler and larger, and messages inline', async () => {
    const settings = await renderPage('me/settings');
    await tapText(settings, '大字体、高对比度');
    expect(wx.getStorageSync('zjb.settings')).toEqual({ elder: true });
    expect(text(settings)).toContain('已开启长辈模式');

    const home = await renderPage('home/index');
    expect(home.dom.innerHTML).toMatch(/class="[^"]*elder/);
    const t = text(home);
    expect(t).toContain('常用事项');
    expect(t).toContain('户口迁移');
    expect(t).toContain('帮助热线');
    expect(t).not.toContain('按部门办');
    expect(t).not.toContain('一件事');

    // No pop-ups: a message that would be a toast is shown inline instead.
    login();
    server.on('POST', '/appointments', { status: 409, body: { error: { code: 'already_booked', message: '您已预约过该事项', details: {} } } });
    const book = await renderPage('booking/book', { service_id: 'svc1' });
    await tapText(book, '09:00-10:00');
    await tapText(book, '确认预约');
    expect(wx.showToast).not.toHaveBeenCalled();
    expect(text(book)).toContain('您已预约过该事项');
  });

  test('off: full home page', async () => {
    const home = await renderPage('home/index');
    expect(home.dom.innerHTML).not.toMatch(/class="[^"]*elder/);
    expect(text(home)).toContain('按部门办');
  });

  test('search from home', async () => {
    const home = await renderPage('home/index');
    await tapText(home, '搜索');
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '请输入要办理的事项' }));
    home.instance.onSearchChange({ detail: { value: '身份证' } });
    await tapText(home, '搜索');
    expect(lastNav(wx.navigateTo).url).toBe(`/pages/service/list/index?q=${encodeURIComponent('身份证')}`);
    await tapText(home, '我要迁户口');
    expect(lastNav(wx.navigateTo)).toMatchObject({ path: 'bundle/event', query: { id: 'move' } });
  });
});
