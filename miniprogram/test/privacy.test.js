// Privacy: the pop-up WeChat's privacy check asks for, the two agreements, and the real-name
// page's own consent before an ID number is entered.
const fs = require('fs');
const path = require('path');
const exparser = require('miniprogram-exparser');
const fx = require('./fixtures');

const { server, renderPage, text, tapText, flush, login } = T;

beforeEach(() => {
  fx.install(server);
  login();
});

// WeChat with __usePrivacyCheck__: a covered call first asks the listener registered last, and
// goes on only once it is resolved with the agree button's id; otherwise it fails with errno 104.
function guard(name, onOk) {
  wx[name] = jest.fn((opts) => {
    const calls = wx.onNeedPrivacyAuthorization.mock.calls;
    const listener = calls.length ? calls[calls.length - 1][0] : null;
    if (!listener) throw new Error('no privacy listener registered');
    listener((result) => {
      if (result && result.event === 'agree' && result.buttonId === 'zjb-privacy-agree') onOk(opts);
      else opts.fail({ errMsg: `${name}:fail privacy permission is not authorized`, errno: 104 });
    }, { referrer: name });
  });
}

// Fire an event on the element showing `label` (the agree button's agreeprivacyauthorization).
async function fire(comp, label, event) {
  const el = Array.from(comp.dom.querySelectorAll('*')).find((e) => e.textContent.trim() === label);
  if (!el) throw new Error(`nothing shows "${label}"`);
  let node = el;
  while (node && !node.__wxElement) node = node.parentNode;
  exparser.Event.dispatchEvent(node.__wxElement, exparser.Event.create(event, {}, { bubbles: false, composed: false }));
  await flush();
}

describe('the privacy pop-up', () => {
  test('app.json turns the privacy check on', () => {
    const app = JSON.parse(fs.readFileSync(path.join(T.ROOT, 'app.json'), 'utf8'));
    expect(app.__usePrivacyCheck__).toBe(true);
    expect(app.usingComponents['zjb-privacy-popup']).toBe('/components/privacy-popup/index');
  });

  test('a photo pick waits for the pop-up; reading the guide, then agreeing, lets it through', async () => {
    guard('chooseMedia', (opts) => opts.success({ tempFiles: [{ tempFilePath: 'wxfile://tmp/p.jpg', size: 1000 }] }));
    server.on('POST', '/files', { status: 201, body: { id: 'f1', name: '照片1.jpg', content_type: 'image/jpeg', size: 1000 } });
    const page = await renderPage('case/apply', { service_id: 'svc1' });
    expect(text(page)).not.toContain('隐私保护提示');

    await tapText(page, '拍照/相册');
    expect(text(page)).toContain('隐私保护提示');
    expect(text(page)).toContain('《指尖办小程序隐私保护指引》');
    expect(server.callsTo('POST', '/files')).toHaveLength(0);

    await tapText(page, '《指尖办小程序隐私保护指引》');
    expect(wx.openPrivacyContract).toHaveBeenCalledTimes(1);

    await fire(page, '同意并继续', 'agreeprivacyauthorization');
    expect(text(page)).not.toContain('隐私保护提示');
    expect(server.callsTo('POST', '/files')).toHaveLength(1);
  });

  test('declining closes the pop-up, uploads nothing and says why', async () => {
    guard('chooseMedia', (opts) => opts.success({ tempFiles: [{ tempFilePath: 'wxfile://tmp/p.jpg', size: 1000 }] }));
    const page = await renderPage('case/apply', { service_id: 'svc1' });
    await tapText(page, '拍照/相册');
    await tapText(page, '不同意');
    expect(text(page)).not.toContain('隐私保护提示');
    expect(server.callsTo('POST', '/files')).toHaveLength(0);
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: expect.stringContaining('您未同意《指尖办小程序隐私保护指引》，无法选择照片') }));
  });

  test('saving the Alipay QR asks on the payment page too', async () => {
    server.on('POST', '/payments/pay1/pay', { channel: 'alipay', qr_code: 'https://qr.alipay.com/x', qr_png_base64: 'iVBOR', out_trade_no: 'ZJB1' });
    guard('saveImageToPhotosAlbum', (opts) => opts.success({ errMsg: 'saveImageToPhotosAlbum:ok' }));
    const page = await renderPage('pay/order', { id: 'pay1' });
    await tapText(page, '支付宝扫码支付');
    await tapText(page, '保存二维码');
    expect(text(page)).toContain('隐私保护提示');
    await fire(page, '同意并继续', 'agreeprivacyauthorization');
    expect(wx.saveImageToPhotosAlbum).toHaveBeenCalledTimes(1);
    expect(text(page)).not.toContain('隐私保护提示');
  });

  test('every page that uses an API of the privacy guide has the pop-up', () => {
    const app = JSON.parse(fs.readFileSync(path.join(T.ROOT, 'app.json'), 'utf8'));
    const pages = require('../scripts/lib/package').allPages(app);
    const uses = /files\.choose|saveQrImage|wx\.(chooseMedia|chooseMessageFile|chooseImage|saveImageToPhotosAlbum|setClipboardData|getClipboardData|getLocation|chooseLocation)\b/;
    const covered = pages.filter((p) => uses.test(fs.readFileSync(path.join(T.ROOT, `${p}.js`), 'utf8')));
    expect(covered.sort()).toEqual(['pages/case/apply/index', 'pages/complaint/new/index', 'pages/me/data/index',
      'pages/pay/order/index']);
    covered.forEach((p) => expect(fs.readFileSync(path.join(T.ROOT, `${p}.wxml`), 'utf8')).toContain('<zjb-privacy-popup'));
  });

  test('docs/miniprogram.md declares every API of the privacy guide the code calls', () => {
    const doc = fs.readFileSync(path.join(T.ROOT, '..', 'docs', 'miniprogram.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Privacy'));
    const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (
      d.isDirectory() ? walk(path.join(dir, d.name)) : [path.join(dir, d.name)]));
    const guarded = ['chooseMedia', 'chooseMessageFile', 'chooseImage', 'saveImageToPhotosAlbum', 'setClipboardData',
      'getClipboardData', 'getLocation', 'chooseLocation', 'chooseAddress', 'getUserProfile', 'startRecord'];
    const called = new Set();
    ['pages', 'components', 'services', 'utils'].forEach((d) => walk(path.join(T.ROOT, d)).filter((f) => f.endsWith('.js'))
      .forEach((f) => guarded.forEach((api) => {
        if (new RegExp(`wx\\.${api}\\(`).test(fs.readFileSync(f, 'utf8'))) called.add(api);
      })));
    expect([...called].sort()).toEqual(['chooseMedia', 'chooseMessageFile', 'saveImageToPhotosAlbum', 'setClipboardData']);
    called.forEach((api) => expect(section).toContain(`wx.${api}`));
  });
});

describe('the agreements', () => {
  test('the login page links both agreements, and login waits for the tick', async () => {
    const page = await renderPage('auth/login');
    await tapText(page, '《用户服务协议》');
    expect(wx.navigateTo).toHaveBeenLastCalledWith(expect.objectContaining({ url: '/pages/legal/terms/index' }));
    await tapText(page, '《隐私政策》');
    expect(wx.navigateTo).toHaveBeenLastCalledWith(expect.objectContaining({ url: '/pages/legal/privacy/index' }));
    expect(text(page)).toContain('☐');

    await tapText(page, '微信一键登录');
    expect(text(page)).toContain('请先阅读并同意用户服务协议和隐私政策');
    expect(server.callsTo('POST', '/auth/wechat-login')).toHaveLength(0);
  });

  test('both agreements are pages of the legal sub-package, with their contact', async () => {
    const app = JSON.parse(fs.readFileSync(path.join(T.ROOT, 'app.json'), 'utf8'));
    expect(app.subPackages.find((s) => s.root === 'pages/legal').pages.sort()).toEqual(['privacy/index', 'terms/index']);
    const privacy = await renderPage('legal/privacy');
    ['我们收集的信息及用途', '我们使用的设备权限', '信息的共享与公开', '信息的保存', '您的权利', '联系我们', '服务热线 12345']
      .forEach((s) => expect(text(privacy)).toContain(s));
    const terms = await renderPage('legal/terms');
    ['账号与实名认证', '办事规则', '个人信息保护', '联系我们'].forEach((s) => expect(text(terms)).toContain(s));
  });
});

describe('the real-name page asks its own consent first', () => {
  test('without the tick the fields are closed and nothing is sent; with it the binding goes through', async () => {
    login({ id: 'u1', realname_verified: false });
    server.on('POST', '/sandbox/wechat/face-verify', { verify_result: 'vr-1' });
    server.on('POST', '/me/realname', { id: 'u1', realname_verified: true, name_masked: '张*', id_number_masked: '1101**********002X' });
    const page = await renderPage('auth/realname');
    const inputs = () => Array.from(page.dom.querySelectorAll('.t-input')).map((el) => el.getAttribute('data-disabled'));
    expect(text(page)).toContain('我同意指尖办收集、使用我的姓名和身份证号码（敏感个人信息）');
    expect(inputs()).toEqual(['true', 'true']);

    page.instance.onName({ detail: { value: '张三' } });
    page.instance.onId({ detail: { value: '11010519491231002X' } });
    await page.instance.onSubmit();
    await flush();
    expect(text(page)).toContain('请先勾选同意处理姓名和身份证号码');
    expect(server.callsTo('POST', '/me/realname')).toHaveLength(0);

    await tapText(page, '☐');
    expect(inputs()).toEqual(['false', 'false']);
    expect(text(page)).not.toContain('请先勾选');
    await tapText(page, '提交认证');
    expect(server.callsTo('POST', '/me/realname')).toHaveLength(1);
    expect(text(page)).toContain('实名认证成功');
  });

  test('the consent links the privacy policy', async () => {
    login({ id: 'u1', realname_verified: false });
    const page = await renderPage('auth/realname');
    await tapText(page, '《隐私政策》');
    expect(wx.navigateTo).toHaveBeenLastCalledWith(expect.objectContaining({ url: '/pages/legal/privacy/index' }));
  });
});
