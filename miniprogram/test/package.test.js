// What WeChat's upload check (ci.checkCodeQuality) and its review look at, offline: the release
// copy holds only files the app reaches, TDesign only in the components used, every package within
// its size limit, no sandbox code, every navigation path a page of app.json.
const fs = require('fs');
const os = require('os');
const path = require('path');
const pkg = require('../scripts/lib/package');
const { buildRelease, stripSandbox, sandboxTraces, releaseEnv } = require('../scripts/build-release');
const { buildNpm } = require('../scripts/build-npm');
const fx = require('./fixtures');

const { server, renderPage, text, tapText } = T;
const APP = JSON.parse(fs.readFileSync(path.join(T.ROOT, 'app.json'), 'utf8'));
const PAGES = pkg.allPages(APP);
const tmp = (name) => fs.mkdtempSync(path.join(os.tmpdir(), `zjb-${name}-`));

// The TDesign components the app names (app.json and every page's and component's json).
function tdesignNamed() {
  const jsons = [path.join(T.ROOT, 'app.json'), ...PAGES.map((p) => path.join(T.ROOT, `${p}.json`))];
  fs.readdirSync(path.join(T.ROOT, 'components')).forEach((c) => jsons.push(path.join(T.ROOT, 'components', c, 'index.json')));
  return new Set(jsons.flatMap((f) => Object.values(JSON.parse(fs.readFileSync(f, 'utf8')).usingComponents || {}))
    .filter((v) => v.startsWith('tdesign-miniprogram/')).map((v) => v.split('/')[1]));
}

describe('the release copy', () => {
  let out;
  let src;
  let files;
  beforeAll(() => {
    out = tmp('release');
    buildRelease(out);
    src = pkg.dirSource(out);
    files = pkg.listFiles(out);
  });
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  test('holds no file the app does not reach (CONTAINS_UNUSED_CODES)', () => {
    const { files: reached, problems } = pkg.reach(src);
    expect(problems).toEqual([]);
    expect(files.filter((f) => !reached.has(f))).toEqual([]);
    expect(files.filter((f) => /^(test|scripts|node_modules|dist)\//.test(f) || /\.(md|d\.ts|py)$/.test(f))).toEqual([]);
  });

  test('carries TDesign only for the components used, and what those need', () => {
    const named = tdesignNamed();
    expect(named.size).toBeGreaterThan(0);
    const shipped = new Set(files.filter((f) => f.startsWith(`${pkg.TDESIGN}/`) && f.endsWith('.json'))
      .map((f) => f.split('/')[2]));
    named.forEach((c) => expect(shipped.has(c)).toBe(true));
    // Beyond those named: only the components they use themselves (icon, image, cell for input, …).
    const needed = new Set([...shipped].filter((c) => !named.has(c)));
    needed.forEach((c) => {
      const users = files.filter((f) => f.startsWith(`${pkg.TDESIGN}/`) && f.endsWith('.json')
        && fs.readFileSync(path.join(out, f), 'utf8').includes(`"../${c}/`));
      expect([c, users.length > 0]).toEqual([c, true]);
    });
    expect(files.filter((f) => f.startsWith(`${pkg.TDESIGN}/`)).length).toBeLessThan(150);
  });

  test('stays within the size limits (PACKAGE_SIZE_LIMIT), counted with and without pruning', () => {
    const all = pkg.sizes(src, APP, files);
    const { files: reached } = pkg.reach(src);
    const pruned = pkg.sizes(src, APP, reached);
    [all, pruned].forEach((s) => {
      expect(s['']).toBeLessThan(pkg.LIMITS.recommended);
      Object.keys(s).filter((k) => k !== 'total').forEach((k) => expect([k, s[k] < pkg.LIMITS.package]).toEqual([k, true]));
      expect(s.total).toBeLessThan(pkg.LIMITS.total);
    });
    expect(all.total).toBe(pruned.total);
  });

  test('has no sandbox code and every envVersion in production mode', () => {
    expect(sandboxTraces(out)).toEqual([]);
    expect(fs.existsSync(path.join(out, 'services', 'sandbox.js'))).toBe(false);
    const env = require(path.join(out, 'config', 'env.js'));
    expect(Object.values(env).map((e) => e.mode)).toEqual(['production', 'production', 'production']);
    expect(env.trial.apiBase).not.toBe(env.release.apiBase);
    // while the development copy still has the sandbox, so the test above can fail
    expect(sandboxTraces(T.ROOT).length).toBeGreaterThan(0);
  });

  test('logs in with wx.login and pays with the real sheet, never the sandbox', async () => {
    fx.install(server);
    server.on('POST', '/auth/wechat-login', { access_token: 'a', refresh_token: 'r', expires_in: 900, user: { id: 'u1', realname_verified: true } });
    const login = await renderPage('auth/login', {}, out);
    await tapText(login, '我已阅读并同意');
    await tapText(login, '微信一键登录');
    expect(wx.login).toHaveBeenCalled();
    expect(server.callsTo('POST', '/auth/wechat-login')[0].data).toEqual({ code: 'test-resident' });
    expect(server.callsTo('POST', '/auth/wechat-login')[0].url).toBe('https://zjb-test.example.gov.cn/api/v1/auth/wechat-login');

    server.on('POST', '/payments/pay1/pay', { channel: 'wechat', request_payment: { timeStamp: '1', nonceStr: 'n', package: 'prepay_id=wx9', signType: 'RSA', paySign: 's' } });
    const order = await renderPage('pay/order', { id: 'pay1' }, out);
    expect(text(order)).not.toContain('沙箱');
    await tapText(order, '微信支付');
    expect(wx.requestPayment).toHaveBeenCalledWith(expect.objectContaining({ package: 'prepay_id=wx9' }));
    expect(wx.showModal).not.toHaveBeenCalled();
    expect(server.calls.filter((c) => c.url.includes('/sandbox/'))).toEqual([]);
  });

  test('refuses a trial or release entry in sandbox mode', () => {
    const ok = { apiBase: 'https://a', mode: 'production' };
    expect(() => releaseEnv({ develop: ok, trial: { ...ok, mode: 'sandbox' }, release: ok })).toThrow(/trial/);
    expect(() => releaseEnv({ develop: ok, trial: ok, release: { ...ok, mode: 'sandbox' } })).toThrow(/release/);
  });

  test('sandbox markers must pair up', () => {
    expect(stripSandbox('a.js', 'a\n  // <sandbox>\nb\n  // </sandbox>\nc')).toBe('a\nc');
    expect(stripSandbox('a.wxml', 'a\n<!-- <sandbox> -->\nb\n<!-- </sandbox> -->')).toBe('a');
    expect(() => stripSandbox('a.js', '// <sandbox>\nb')).toThrow(/never closed/);
    expect(() => stripSandbox('a.js', 'b\n// </sandbox>')).toThrow(/without/);
  });
});

describe('the development copy', () => {
  test('build-npm copies only the TDesign files the app reaches', () => {
    const root = tmp('dev');
    try {
      pkg.listFiles(T.ROOT).filter((f) => !f.startsWith('miniprogram_npm/')).forEach((f) => {
        pkg.copyFile(path.join(T.ROOT, f), path.join(root, f));
      });
      fs.copyFileSync(path.join(T.ROOT, 'project.config.json'), path.join(root, 'project.config.json'));
      buildNpm(root);
      const src = pkg.dirSource(root);
      const { files: reached } = pkg.reach(src);
      const npm = pkg.listFiles(root).filter((f) => f.startsWith('miniprogram_npm/'));
      expect(npm.length).toBeGreaterThan(0);
      expect(npm.filter((f) => !reached.has(f))).toEqual([]);
      const s = pkg.sizes(src, APP, pkg.listFiles(root));
      expect(s['']).toBeLessThan(pkg.LIMITS.package);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('sub-packages', () => {
  test('the rarely opened pages are in sub-packages; the tab pages in the main package, with icons', () => {
    const roots = APP.subPackages.map((s) => s.root);
    expect(roots).toEqual(expect.arrayContaining(['pages/agency', 'pages/complaint', 'pages/bundle', 'pages/receipt', 'pages/me/licences', 'pages/legal']));
    APP.pages.forEach((p) => roots.forEach((r) => expect(p.startsWith(`${r}/`)).toBe(false)));
    APP.tabBar.list.forEach((t) => {
      expect(APP.pages).toContain(t.pagePath);
      [t.iconPath, t.selectedIconPath].forEach((icon) => {
        const png = fs.readFileSync(path.join(T.ROOT, icon));
        expect(png.subarray(1, 4).toString()).toBe('PNG');
        expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([81, 81]);
        expect(png.length).toBeLessThan(40 * 1024);
      });
    });
    Object.entries(APP.preloadRule || {}).forEach(([page, rule]) => {
      expect(PAGES).toContain(page);
      rule.packages.forEach((name) => expect(APP.subPackages.map((s) => s.name)).toContain(name));
    });
  });

  test('every page path the code navigates to is a page of app.json', () => {
    const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (
      d.isDirectory() ? walk(path.join(dir, d.name)) : [path.join(dir, d.name)]));
    const sources = ['pages', 'components', 'services', 'utils'].flatMap((d) => walk(path.join(T.ROOT, d)))
      .filter((f) => /\.(js|wxml)$/.test(f));
    const found = [];
    sources.forEach((f) => {
      const src = fs.readFileSync(f, 'utf8');
      (src.match(/\/?pages\/[a-z-]+\/[a-z-]+(?:\/[a-z-]+)?\/index/g) || []).forEach((p) => found.push([path.relative(T.ROOT, f), p.replace(/^\//, '')]));
    });
    expect(found.length).toBeGreaterThan(30);
    expect(found.filter(([, p]) => !PAGES.includes(p))).toEqual([]);
  });

  test('no main-package file requires a sub-package file', () => {
    const src = pkg.dirSource(T.ROOT, { tdesignFrom: pkg.TDESIGN_DIST });
    const { files } = pkg.reach(src);
    const roots = APP.subPackages.map((s) => `${s.root}/`);
    [...files].filter((f) => f.endsWith('.js') && !f.startsWith('miniprogram_npm/') && !roots.some((r) => f.startsWith(r)))
      .forEach((f) => {
        const text = fs.readFileSync(path.join(T.ROOT, f), 'utf8');
        (text.match(/require\(['"]([^'"]+)['"]\)/g) || []).forEach((r) => {
          const spec = /require\(['"]([^'"]+)['"]\)/.exec(r)[1];
          const target = path.posix.normalize(path.posix.join(path.posix.dirname(f), spec));
          expect([f, roots.some((root) => target.startsWith(root))]).toEqual([f, false]);
        });
      });
  });
});
