// The other ways residents are served: 一件事 (one form for several services), 12345 (complaints
// tracked to an answer) and 帮办代办 (grants and the 办事码), page by page against the fake backend.
const fx = require('./fixtures');

const { server, renderPage, text, tapText, flush, login, apiError } = T;

function lastNav(fn) {
  const calls = fn.mock.calls;
  const url = calls[calls.length - 1][0].url;
  const [p, q = ''] = url.split('?');
  const query = Object.fromEntries(q.split('&').filter(Boolean).map((kv) => kv.split('=')));
  return { path: p.replace(/^\/pages\//, '').replace(/\/index$/, ''), query, url };
}

beforeEach(() => {
  fx.install(server);
  login();
});

describe('一件事', () => {
  test('one form, each field once; checked before sending; one submission; then the status of every case', async () => {
    const home = await renderPage('home/index');
    await tapText(home, '我要迁户口');
    const nav = lastNav(wx.navigateTo);
    expect(nav).toMatchObject({ path: 'bundle/event', query: { id: 'move' } });

    server.on('POST', '/life-events/move/applications', (c) => ({ status: 201, body: { ...fx.BUNDLE, status: 'submitted',
      applications: [] } }));
    const page = await renderPage('bundle/event', nav.query);
    expect(text(page)).toContain('共 2 个事项一次申请、同时办理，合计收费 ¥10.00');
    await tapText(page, '一次提交全部事项');
    let t = text(page);
    expect(t).toContain('请填写迁入地址');
    expect(t).toContain('请选择迁移原因');
    expect(t).toContain('请先备齐：居民身份证');
    expect(t).not.toContain('请填写随迁人数'); // optional
    expect(server.callsTo('POST', '/life-events/move/applications')).toHaveLength(0);

    page.instance.onField({ currentTarget: { dataset: { key: 'new_address' } }, detail: { value: '龙沙区卜奎大街 100 号' } });
    page.instance.onField({ currentTarget: { dataset: { key: 'family_size' } }, detail: { value: '3' } });
    page.instance.onField({ currentTarget: { dataset: { key: 'contact_phone' } }, detail: { value: '1380000' } });
    await tapText(page, '投靠配偶');
    await tapText(page, '居民身份证');
    await tapText(page, '一次提交全部事项');
    expect(text(page)).toContain('请填写 11 位手机号码');
    page.instance.onField({ currentTarget: { dataset: { key: 'contact_phone' } }, detail: { value: '13800001111' } });
    await tapText(page, '一次提交全部事项');
    const sent = server.callsTo('POST', '/life-events/move/applications')[0].data;
    expect(sent).toEqual({
      form: { new_address: '龙沙区卜奎大街 100 号', reason: '投靠配偶', family_size: 3, contact_phone: '13800001111' },
      materials: ['id_card'],
    });
    const done = lastNav(wx.redirectTo);
    expect(done).toMatchObject({ path: 'bundle/detail', query: { id: 'b1', new: '1' } });

    const detail = await renderPage('bundle/detail', done.query);
    t = text(detail);
    expect(t).toContain('提交成功，一件事编号 YJS20240506000001');
    expect(t.indexOf('户口迁移')).toBeLessThan(t.indexOf('社保卡信息变更'));
    expect(t).toContain('已受理');
    expect(t).toContain('已提交');
    await tapText(detail, '社保卡信息变更');
    expect(lastNav(wx.navigateTo)).toMatchObject({ path: 'case/detail', query: { id: 'c2' } });
    await tapText(detail, '去缴费');
    expect(lastNav(wx.navigateTo)).toMatchObject({ path: 'pay/order', query: { id: 'pay1' } });
  });

  test("the server's reason for a field is shown on that field", async () => {
    server.on('POST', '/life-events/move/applications', apiError(400, 'invalid_input', '请求内容有误，请检查后重试',
      { fields: { 'form.new_address': '不支持的地址' } }));
    const page = await renderPage('bundle/event', { id: 'move' });
    page.instance.onField({ currentTarget: { dataset: { key: 'new_address' } }, detail: { value: '火星' } });
    page.instance.onField({ currentTarget: { dataset: { key: 'contact_phone' } }, detail: { value: '13800001111' } });
    await tapText(page, '购房落户');
    await tapText(page, '居民身份证');
    await tapText(page, '一次提交全部事项');
    expect(text(page)).toContain('不支持的地址');
    expect(wx.redirectTo).not.toHaveBeenCalled();
  });

  test('not real-name verified: sent to verify first', async () => {
    server.on('POST', '/life-events/move/applications', apiError(403, 'realname_required', '请先完成实名认证'));
    const page = await renderPage('bundle/event', { id: 'move' });
    page.instance.onField({ currentTarget: { dataset: { key: 'new_address' } }, detail: { value: '人民路 1 号' } });
    page.instance.onField({ currentTarget: { dataset: { key: 'contact_phone' } }, detail: { value: '13800001111' } });
    await tapText(page, '投靠配偶');
    await tapText(page, '居民身份证');
    await tapText(page, '一次提交全部事项');
    expect(lastNav(wx.navigateTo).path).toBe('auth/realname');
  });

  test('my bundles, and the empty list', async () => {
    const list = await renderPage('bundle/list');
    await tapText(list, '我要迁户口');
    expect(lastNav(wx.navigateTo)).toMatchObject({ path: 'bundle/detail', query: { id: 'b1' } });
    server.on('GET', '/bundles', { items: [], next_cursor: null });
    expect(text(await renderPage('bundle/list'))).toContain('还没有申请过“一件事”');
  });
});

describe('12345', () => {
  test('submit: checked, sent, then the timeline', async () => {
    server.on('POST', '/complaints', (c) => ({ status: 201, body: { ...fx.COMPLAINT, id: 'q2', status: 'received', ...c.data } }));
    const page = await renderPage('complaint/new');
    await tapText(page, '提交');
    expect(text(page)).toContain('请选择诉求类型');
    expect(text(page)).toContain('请把问题说清楚');
    await tapText(page, '求助');
    page.instance.onContent({ detail: { value: '  小区门口路灯坏了一周  ' } });
    page.instance.onContact({ detail: { value: false } });
    await tapText(page, '提交');
    expect(server.callsTo('POST', '/complaints')[0].data).toEqual({
      category: 'request', content: '小区门口路灯坏了一周', contact_ok: false });
    expect(lastNav(wx.redirectTo)).toMatchObject({ path: 'complaint/detail', query: { id: 'q2', new: '1' } });
  });

  test('photos (找茬 一键拍照): taken, uploaded as picked, removable, attached on submit', async () => {
    let n = 0;
    server.on('POST', '/files', (c) => {
      n += 1;
      return { status: 201, body: { id: `f${n}`, name: c.data.formData.name, content_type: 'image/jpeg', kind: 'image',
        size_bytes: 1000, sha256: 'x' } };
    });
    server.on('POST', '/complaints', (c) => ({ status: 201, body: { ...fx.COMPLAINT, id: 'q3', status: 'received', ...c.data } }));
    const page = await renderPage('complaint/new');
    expect(text(page)).toContain('拍照/选照片');
    await tapText(page, '投诉');
    page.instance.onContent({ detail: { value: '办事大厅二楼空调坏了，很热' } });
    await page.instance.addPhotos();
    await page.instance.addPhotos();
    await flush();
    expect(page.instance.data.photos.map((p) => p.id)).toEqual(['f1', 'f2']);
    expect(server.callsTo('POST', '/files')).toHaveLength(2);
    page.instance.removePhoto({ currentTarget: { dataset: { id: 'f1' } } });
    await tapText(page, '提交');
    expect(server.callsTo('POST', '/complaints')[0].data).toEqual({
      category: 'complaint', content: '办事大厅二楼空调坏了，很热', contact_ok: true, attachments: ['f2'] });
  });

  test('photos need a verified real name: said, 实名认证 opened, the complaint still goes without them', async () => {
    server.on('POST', '/files', apiError(403, 'realname_required', '请先完成实名认证'));
    server.on('POST', '/complaints', (c) => ({ status: 201, body: { ...fx.COMPLAINT, id: 'q4', status: 'received', ...c.data } }));
    const page = await renderPage('complaint/new');
    await tapText(page, '投诉');
    page.instance.onContent({ detail: { value: '办事大厅二楼空调坏了，很热' } });
    wx.chooseMedia.mockImplementationOnce((opts) => opts.success({ type: 'image', tempFiles: [
      { tempFilePath: 'wxfile://tmp/photo-1.jpg', size: 1200000 }, { tempFilePath: 'wxfile://tmp/photo-2.jpg', size: 900000 }] }));
    await page.instance.addPhotos();
    await flush();
    expect(server.callsTo('POST', '/files')).toHaveLength(1);  // not tried again for the second photo
    expect(text(page)).toContain('上传照片需先完成实名认证');
    expect(lastNav(wx.navigateTo)).toMatchObject({ path: 'auth/realname' });
    expect(page.instance.data.uploading).toBe(false);
    await tapText(page, '提交');
    expect(server.callsTo('POST', '/complaints')[0].data).toEqual({
      category: 'complaint', content: '办事大厅二楼空调坏了，很热', contact_ok: true });
  });

  test('a phone left for contact: checked, sent only when contact is agreed', async () => {
    server.on('POST', '/complaints', (c) => ({ status: 201, body: { ...fx.COMPLAINT, id: 'q5', status: 'received', ...c.data } }));
    const page = await renderPage('complaint/new');
    expect(text(page)).toContain('联系电话');
    await tapText(page, '求助');
    page.instance.onContent({ detail: { value: '家门口的路灯坏了一周' } });
    page.instance.onPhone({ detail: { value: '12345' } });
    await tapText(page, '提交');
    expect(text(page)).toContain('请输入 11 位手机号码');
    expect(server.callsTo('POST', '/complaints')).toHaveLength(0);
    page.instance.onPhone({ detail: { value: '13800138000' } });
    await tapText(page, '提交');
    expect(server.callsTo('POST', '/complaints')[0].data).toEqual({
      category: 'request', content: '家门口的路灯坏了一周', contact_ok: true, contact_phone: '13800138000' });
  });

  test('the photos attached are shown back on the complaint, full size on a tap', async () => {
    server.on('GET', '/complaints/q4', { ...fx.COMPLAINT, id: 'q4', attachments: ['f7', 'f8'] });
    server.on('GET', '/files/f7/thumbnail', { status: 200, body: '' });
    server.on('GET', '/files/f8/thumbnail', { status: 200, body: '' });
    server.on('GET', '/files/f8/content', { status: 200, body: '' });
    const page = await renderPage('complaint/detail', { id: 'q4' });
    await flush();
    expect(text(page)).toContain('您附的照片');
    expect(page.instance.data.photos.map((p) => p.id)).toEqual(['f7', 'f8']);
    await page.instance.previewPhoto({ currentTarget: { dataset: { id: 'f8' } } });
    expect(server.callsTo('GET', '/files/f8/content')).toHaveLength(1);
    expect(wx.previewImage).toHaveBeenCalled();
  });

  test('a photo over 10 MB is refused before any upload', async () => {
    wx.chooseMedia.mockImplementationOnce((opts) => opts.success({ type: 'image', tempFiles: [
      { tempFilePath: 'wxfile://tmp/huge.jpg', size: 11 * 1024 * 1024, fileType: 'image' }] }));
    const page = await renderPage('complaint/new');
    await page.instance.addPhotos();
    await flush();
    expect(text(page)).toContain('超过 10 MB');
    expect(server.callsTo('POST', '/files')).toHaveLength(0);
  });

  test('the reply, then not satisfied: sent back once, with the reason', async () => {
    let reopened = false;
    server.on('GET', '/complaints/q1', () => (reopened
      ? { ...fx.COMPLAINT, status: 'assigned', stage: 'reply', due: '2024-05-14T23:59:59+08:00', reply: null,
        can_feedback: false, reopened: true,
        timeline: [...fx.COMPLAINT.timeline, { status: 'assigned', at: '2024-05-08T09:00:00+08:00', note: '群众不满意，退回重新办理' }] }
      : fx.COMPLAINT));
    server.on('POST', '/complaints/q1/feedback', () => { reopened = true; return { ...fx.COMPLAINT, status: 'assigned' }; });
    const page = await renderPage('complaint/detail', { id: 'q1' });
    let t = text(page);
    expect(t).toContain('道闸已修复，感谢监督。');
    expect(t).toContain('不满意可退回承办部门重新办理一次');
    expect(t.indexOf('诉求已登记')).toBeLessThan(t.indexOf('公安局已答复'));
    page.instance.onComment({ detail: { value: '晚上还是抬不起来' } });
    await tapText(page, '不满意');
    await flush();
    expect(server.callsTo('POST', '/complaints/q1/feedback')[0].data).toEqual({ satisfied: false, comment: '晚上还是抬不起来' });
    t = text(page);
    expect(t).toContain('将于 2024-05-14 前答复');
    expect(t).toContain('群众不满意，退回重新办理');
    expect(t).not.toContain('您对答复满意吗');
  });

  test('satisfied closes it', async () => {
    let closed = false;
    server.on('GET', '/complaints/q1', () => (closed
      ? { ...fx.COMPLAINT, status: 'closed', can_feedback: false, feedback: { satisfied: true, comment: null, at: '2024-05-08T09:00:00+08:00' } }
      : fx.COMPLAINT));
    server.on('POST', '/complaints/q1/feedback', () => { closed = true; return { ...fx.COMPLAINT, status: 'closed' }; });
    const page = await renderPage('complaint/detail', { id: 'q1' });
    await tapText(page, '满意');
    await flush();
    expect(server.callsTo('POST', '/complaints/q1/feedback')[0].data).toEqual({ satisfied: true });
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '感谢您的评价，工单已办结' }));
    expect(text(page)).toContain('您的评价：满意');
  });
});

describe('帮办代办', () => {
  test('grant to a 帮办员 for chosen services and days', async () => {
    server.on('POST', '/me/authorizations', { status: 201, body: fx.GRANT });
    const page = await renderPage('agency/new');
    await tapText(page, '确认授权');
    expect(text(page)).toContain('请填写帮办员的工号');
    page.instance.onUsername({ detail: { value: 'Clerk1' } });
    await tapText(page, '户口迁移');
    await tapText(page, '30 天');
    await tapText(page, '确认授权');
    expect(server.callsTo('POST', '/me/authorizations')[0].data).toEqual({
      grantee: { type: 'staff', username: 'clerk1' }, days: 30, service_ids: ['svc1'] });
    expect(lastNav(wx.redirectTo).path).toBe('agency/list');
  });

  test('grant to a family member by ID number, checked first and by the server', async () => {
    server.on('POST', '/me/authorizations', apiError(400, 'invalid_input', '请求内容有误，请检查后重试',
      { fields: { 'grantee.id_number': '被授权人须已在指尖办完成实名认证' } }));
    const page = await renderPage('agency/new');
    await tapText(page, '家人或朋友');
    page.instance.onIdNumber({ detail: { value: '110105194912310021' } });
    await tapText(page, '确认授权');
    expect(text(page)).toContain('校验位不正确');
    expect(server.callsTo('POST', '/me/authorizations')).toHaveLength(0);
    page.instance.onIdNumber({ detail: { value: '11010519491231002x' } });
    await tapText(page, '确认授权');
    expect(server.callsTo('POST', '/me/authorizations')[0].data).toEqual({
      grantee: { type: 'resident', id_number: '11010519491231002X' }, days: 7 });
    expect(text(page)).toContain('被授权人须已在指尖办完成实名认证');
  });

  test('revoke with an inline confirmation; it takes effect at once', async () => {
    let revoked = false;
    server.on('GET', '/me/authorizations', () => ({ items: [{ ...fx.GRANT, status: revoked ? 'revoked' : 'active' }], next_cursor: null }));
    server.on('POST', '/me/authorizations/g1/revoke', () => { revoked = true; return { ...fx.GRANT, status: 'revoked' }; });
    const page = await renderPage('agency/list');
    await tapText(page, '撤销授权');
    expect(text(page)).toContain('撤销后立即生效');
    expect(wx.showModal).not.toHaveBeenCalled();
    await tapText(page, '确认撤销');
    expect(revoked).toBe(true);
    expect(text(page)).toContain('已撤销');
    expect(text(page)).not.toContain('撤销授权');
  });

  test("a grantee applies in the grantor's name", async () => {
    const page = await renderPage('agency/list');
    await tapText(page, '代其申请');
    expect(text(page)).toContain('户口迁移'); // a grant for all services offers the online ones
    await tapText(page, '户口迁移');
    const nav = lastNav(wx.navigateTo);
    expect(nav).toMatchObject({ path: 'case/apply', query: { service_id: 'svc1', on_behalf_of: 'g2' } });
    server.on('POST', '/applications', { status: 201, body: { ...fx.CASE, id: 'c9' } });
    const apply = await renderPage('case/apply', nav.query);
    expect(text(apply)).toContain('您正在按授权代李*申请，办件归李*所有');
    apply.instance.onPhone({ detail: { value: '13800001111' } });
    await tapText(apply, '居民身份证');
    await tapText(apply, '提交申请');
    expect(server.callsTo('POST', '/applications')[0].data.on_behalf_of).toBe('g2');
  });

  test('the 办事码: a QR that renews itself before it runs out', async () => {
    let n = 0;
    const soon = () => new Date(Date.now() + 60000).toISOString();
    server.on('GET', '/me/identity-code', () => {
      n += 1;
      return { code: `ZJB1.code${n}.mac`, expires_at: soon(), valid_seconds: 60, qr_png_base64: `UVI${n}` };
    });
    const page = await renderPage('agency/code');
    expect(page.data.qrSrc).toBe('data:image/png;base64,UVI1');
    expect(text(page)).toMatch(/(59|60) 秒后自动刷新/);
    page.instance.expiresAt = Date.now() + 3000; // nearly out
    page.instance.tick();
    await flush();
    expect(n).toBe(2);
    expect(page.data.qrSrc).toBe('data:image/png;base64,UVI2');
    page.instance.stop();
  });

  test('the 办事码 needs real-name verification', async () => {
    server.on('GET', '/me/identity-code', apiError(403, 'realname_required', '请先完成实名认证'));
    const page = await renderPage('agency/code');
    expect(lastNav(wx.navigateTo).path).toBe('auth/realname');
    page.instance.stop();
  });
});
