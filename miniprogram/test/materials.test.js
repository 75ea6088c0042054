// Materials and e-licences: uploading photos and PDFs in the apply page (wx.chooseMedia /
// wx.chooseMessageFile, then wx.uploadFile), a held licence offered instead of an upload, and the
// wallet (我的证照) with status, PDF and QR.
const fx = require('./fixtures');

const { server, renderPage, text, tapText, login } = T;

const SERVICE = {
  ...fx.SERVICE,
  guide: {
    ...fx.SERVICE.guide,
    materials: [
      { key: 'id_card', name: '居民身份证', required: true, tolerable: false, licence_type: 'id_card' },
      { key: 'hukou_book', name: '户口簿', required: true, tolerable: false, licence_type: 'hukou' },
      { key: 'photo', name: '照片', required: true, tolerable: false },
    ],
  },
};
const ID_CARD = {
  id: 'lic1', type: 'id_card', name: '居民身份证', number: 'DZSFZ000000000001', holder_masked: '张*', issuer: '市公安局',
  issued_at: '2020-01-01T10:00:00+08:00', expires_at: null, status: 'valid', check_code: 'A1B2C3', source: 'library',
  verify_url: 'http://127.0.0.1:8000/api/v1/licences/verify?number=DZSFZ000000000001&check=A1B2C3',
};
const REVOKED = { ...ID_CARD, id: 'lic2', type: 'business_licence', name: '营业执照（个体工商户）', number: 'YYZZ2026000001',
  status: 'revoked', source: 'issued', issuer: '市市场监督管理局' };

function key(k) {
  return { currentTarget: { dataset: { key: k } } };
}

beforeEach(() => {
  fx.install(server);
  login();
  server.on('GET', '/services/svc1', SERVICE);
  server.on('POST', '/me/licences/refresh', { items: [ID_CARD, REVOKED], next_cursor: null });
});

describe('apply with uploads and licences', () => {
  test('a held licence is offered, photos and PDFs are uploaded, and the case gets them all', async () => {
    let n = 0;
    server.on('POST', '/files', (c) => {
      n += 1;
      return { status: 201, body: { id: `f${n}`, name: c.data.formData.name, content_type: 'image/jpeg', kind: 'image',
        size_bytes: 1000, sha256: 'x' } };
    });
    server.on('POST', '/applications', (c) => ({ status: 201, body: { ...fx.CASE, id: 'c9', form: c.data.form } }));
    const apply = await renderPage('case/apply', { service_id: 'svc1' });
    // The library was asked for this application, and the valid ID card is offered.
    expect(server.callsTo('POST', '/me/licences/refresh')[0].data).toEqual({ purpose: 'application', service_id: 'svc1' });
    expect(text(apply)).toContain('使用电子证照：居民身份证');
    expect(text(apply)).not.toContain('营业执照');

    await apply.instance.chooseImages(key('photo'));
    expect(wx.chooseMedia.mock.calls[0][0]).toMatchObject({ mediaType: ['image'], sourceType: ['album', 'camera'] });
    const sent = wx.uploadFile.mock.calls[0][0];
    expect(sent).toMatchObject({ url: 'http://127.0.0.1:8000/api/v1/files', name: 'file', filePath: 'wxfile://tmp/photo-1.jpg' });
    expect(sent.header.Authorization).toBe('Bearer access-1');

    await apply.instance.chooseFiles(key('hukou_book'));
    expect(wx.chooseMessageFile.mock.calls[0][0]).toMatchObject({ type: 'file', extension: ['pdf', 'jpg', 'jpeg', 'png'] });
    expect(wx.uploadFile.mock.calls[1][0]).toMatchObject({ filePath: 'wxfile://tmp/hukou.pdf', formData: { name: '户口簿.pdf' } });
    expect(text(apply)).toContain('照片1.jpg');
    expect(text(apply)).toContain('户口簿.pdf');

    apply.instance.onPhone({ detail: { value: '13800001111' } });
    await tapText(apply, '提交申请');
    expect(server.callsTo('POST', '/applications')[0].data).toEqual({
      service_id: 'svc1', form: { contact_phone: '13800001111', note: '' }, materials: [],
      attachments: [{ material_key: 'hukou_book', file_id: 'f2' }, { material_key: 'photo', file_id: 'f1' }],
      licences: [{ material_key: 'id_card', licence_id: 'lic1' }],
    });
  });

  test('declining the licence asks for the material again', async () => {
    const apply = await renderPage('case/apply', { service_id: 'svc1' });
    await tapText(apply, '使用电子证照：居民身份证');
    apply.instance.onPhone({ detail: { value: '13800001111' } });
    await tapText(apply, '提交申请');
    expect(text(apply)).toContain('请先备齐：居民身份证、户口簿、照片');
    expect(server.callsTo('POST', '/applications')).toHaveLength(0);
  });

  test('a file over 10 MB is not uploaded; a refused one says why', async () => {
    wx.chooseMedia = jest.fn((opts) => opts.success({ tempFiles: [{ tempFilePath: 'wxfile://tmp/big.jpg', size: 11 * 1024 * 1024 }] }));
    const apply = await renderPage('case/apply', { service_id: 'svc1' });
    await apply.instance.chooseImages(key('photo'));
    expect(wx.uploadFile).not.toHaveBeenCalled();
    expect(wx.showToast.mock.calls[0][0].title).toContain('超过 10 MB');

    server.on('POST', '/files', T.apiError(400, 'unsupported_file_type', '只能上传 JPG、PNG 图片或 PDF 文件'));
    await apply.instance.chooseFiles(key('photo'));
    expect(text(apply)).toContain('户口簿.pdf：只能上传 JPG、PNG 图片或 PDF 文件');
  });

  test('an expired login is refreshed once and the upload retried', async () => {
    let calls = 0;
    server.on('POST', '/files', () => {
      calls += 1;
      return calls === 1 ? T.apiError(401, 'unauthenticated', '登录已过期') : { status: 201, body: { id: 'f1', name: '照片1.jpg' } };
    });
    server.on('POST', '/auth/refresh', { access_token: 'access-2', refresh_token: 'refresh-2', expires_in: 900, user: { id: 'u1', realname_verified: true } });
    const apply = await renderPage('case/apply', { service_id: 'svc1' });
    await apply.instance.chooseImages(key('photo'));
    expect(wx.uploadFile.mock.calls[1][0].header.Authorization).toBe('Bearer access-2');
    expect(text(apply)).toContain('照片1.jpg');
  });
});

describe('wallet 我的证照', () => {
  test('lists licences with status, opens the PDF and shows the QR', async () => {
    server.on('GET', '/me/licences', { items: [ID_CARD, REVOKED], next_cursor: null });
    server.on('GET', '/me/licences/lic1', { ...ID_CARD, qr_png_base64: 'iVBORw0KGgo=' });
    server.on('GET', '/me/licences/lic1/pdf', {});
    const page = await renderPage('me/licences');
    const t = text(page);
    expect(t).toContain('居民身份证');
    expect(t).toContain('有效');
    expect(t).toContain('已撤销');
    expect(t).toContain('长期有效');
    await page.instance.openPdf({ currentTarget: { dataset: { id: 'lic1' } } });
    expect(wx.downloadFile.mock.calls[0][0].url).toBe('http://127.0.0.1:8000/api/v1/me/licences/lic1/pdf');
    expect(wx.openDocument.mock.calls[0][0]).toMatchObject({ fileType: 'pdf' });
    await page.instance.showQr({ currentTarget: { dataset: { id: 'lic1' } } });
    await T.flush();
    expect(page.data.qr.src).toBe('data:image/png;base64,iVBORw0KGgo=');
    expect(text(page)).toContain('校验码 A1B2C3');
  });

  test('fetching from the library states the purpose', async () => {
    server.on('GET', '/me/licences', { items: [], next_cursor: null });
    const page = await renderPage('me/licences');
    expect(text(page)).toContain('暂无电子证照');
    await tapText(page, '从电子证照库获取');
    expect(server.callsTo('POST', '/me/licences/refresh')[0].data).toEqual({ purpose: 'wallet' });
    expect(page.data.items.map((i) => i.statusText)).toEqual(['有效', '已撤销']);
  });
});

describe('a material promised under 容缺受理', () => {
  const PROMISED = {
    ...fx.CASE, status: 'accepted',
    materials: [
      { key: 'id_card', name: '居民身份证', source: 'licence', promise: null },
      { key: 'photo', name: '照片', source: 'promised',
        promise: { status: 'open', due: '2024-05-20T23:59:59+08:00', overdue: false } },
    ],
  };

  test('the case says what is owed and by when, and the supply page sends only that', async () => {
    server.on('GET', '/applications/c1', PROMISED);
    server.on('POST', '/files', () => ({ status: 201, body: { id: 'f7', name: '照片.jpg', content_type: 'image/jpeg',
      kind: 'image', size_bytes: 1000, sha256: 'x' } }));
    server.on('POST', '/applications/c1/materials', { ...PROMISED, materials: [PROMISED.materials[0],
      { ...PROMISED.materials[1], source: 'file', promise: { status: 'kept', due: '2024-05-20T23:59:59+08:00' } }] });
    const detail = await renderPage('case/detail', { id: 'c1' });
    expect(text(detail)).toContain('容缺受理，请按承诺补齐材料');
    expect(text(detail)).toContain('照片，2024年5月20日（周一）前');
    await tapText(detail, '补交材料');
    expect(wx.navigateTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/case/apply/index?case_id=c1&supply=1' }));

    const supply = await renderPage('case/apply', { case_id: 'c1', supply: '1' });
    expect(text(supply)).toContain('请补交受理时承诺补齐的材料：照片（5月20日（周一）前）');
    expect(text(supply)).not.toContain('户口簿');
    expect(text(supply)).not.toContain('联系电话');
    await tapText(supply, '补交材料');  // nothing given yet: refused in the page
    expect(text(supply)).toContain('请上传或选用电子证照：照片');
    expect(server.callsTo('POST', '/applications/c1/materials')).toHaveLength(0);
    await supply.instance.chooseImages(key('photo'));
    await tapText(supply, '补交材料');
    expect(server.callsTo('POST', '/applications/c1/materials')[0].data).toEqual({
      attachments: [{ material_key: 'photo', file_id: 'f7' }] });
    expect(wx.redirectTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/case/detail/index?id=c1' }));
  });
});

describe('an agent filing under a grant', () => {
  test("the grantor's licence is offered and given, not the agent's own", async () => {
    server.on('GET', '/me/authorizations/received/g1/licences', { items: [{ ...ID_CARD, id: 'lic9',
      holder_masked: '李*' }], next_cursor: null });
    server.on('POST', '/applications', (c) => ({ status: 201, body: { ...fx.CASE, id: 'c8', form: c.data.form } }));
    server.on('POST', '/files', () => ({ status: 201, body: { id: 'f8', name: '照片.jpg', content_type: 'image/jpeg',
      kind: 'image', size_bytes: 1000, sha256: 'x' } }));
    const apply = await renderPage('case/apply', { service_id: 'svc1', on_behalf_of: 'g1', grantor: '%E6%9D%8E*' });
    expect(server.callsTo('POST', '/me/licences/refresh')).toHaveLength(0);
    expect(text(apply)).toContain('使用电子证照：居民身份证');
    apply.instance.onPhone({ detail: { value: '13800001111' } });
    await apply.instance.chooseImages(key('photo'));
    await tapText(apply, '户口簿');
    await tapText(apply, '提交申请');
    const sent = server.callsTo('POST', '/applications')[0].data;
    expect(sent.on_behalf_of).toBe('g1');
    expect(sent.licences).toEqual([{ material_key: 'id_card', licence_id: 'lic9' }]);
  });
});
