/* The ONE place where `wx` is stubbed. Also: a fake backend behind wx.request, the Page
 * constructor mapped onto Component for miniprogram-simulate, TDesign components replaced by
 * light stand-ins, and helpers to render pages and components. */
const path = require('path');
const simulate = require('miniprogram-simulate');
const exparser = require('miniprogram-exparser');

const ROOT = path.resolve(__dirname, '..');

// ---------- fake backend ----------
const server = {
  routes: [],
  calls: [],
  on(method, pattern, handler) {
    this.routes.unshift({ method, pattern, handler });
  },
  reset() {
    this.routes = [];
    this.calls = [];
  },
  callsTo(method, pattern) {
    return this.calls.filter((c) => c.method === method && (pattern instanceof RegExp ? pattern.test(c.path) : c.path === pattern));
  },
  handle(opts) {
    const url = new URL(opts.url);
    const prefix = '/api/v1';
    const p = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname;
    const query = Object.fromEntries(url.searchParams.entries());
    const call = { method: opts.method || 'GET', path: p, query, data: opts.data, header: opts.header || {}, url: opts.url };
    this.calls.push(call);
    const route = this.routes.find((r) => r.method === call.method
      && (r.pattern instanceof RegExp ? r.pattern.test(p) : r.pattern === p));
    if (!route) {
      return { status: 404, body: { error: { code: 'not_found', message: '未找到相关内容', details: {} } } };
    }
    const out = typeof route.handler === 'function' ? route.handler(call) : route.handler;
    if (out && out.__network) return out;
    if (out && typeof out.status === 'number' && 'body' in out) return out;
    return { status: 200, body: out };
  },
};

function apiError(status, code, message, details = {}) {
  return { status, body: { error: { code, message, details } } };
}

// ---------- wx ----------
function makeWx() {
  const storage = new Map();
  const ok = (name) => jest.fn((opts = {}) => {
    if (opts.success) opts.success({ errMsg: `${name}:ok` });
    if (opts.complete) opts.complete();
  });
  return {
    __storage: storage,
    env: { USER_DATA_PATH: 'wxfile://usr' },
    getStorageSync: jest.fn((k) => (storage.has(k) ? storage.get(k) : '')),
    setStorageSync: jest.fn((k, v) => { storage.set(k, v); }),
    removeStorageSync: jest.fn((k) => { storage.delete(k); }),
    getAccountInfoSync: jest.fn(() => ({ miniProgram: { envVersion: 'develop', appId: 'touristappid' } })),
    request: jest.fn((opts) => {
      Promise.resolve().then(() => {
        const res = server.handle(opts);
        if (res.__network) {
          opts.fail && opts.fail({ errMsg: `request:fail ${res.__network}` });
        } else {
          opts.success && opts.success({ statusCode: res.status, data: res.body, header: {} });
        }
        opts.complete && opts.complete();
      });
      return { abort: jest.fn() };
    }),
    downloadFile: jest.fn((opts) => {
      Promise.resolve().then(() => {
        const res = server.handle({ ...opts, method: 'GET' });
        opts.success && opts.success({ statusCode: res.status, tempFilePath: 'wxfile://tmp/receipt.pdf' });
      });
    }),
    // wx.uploadFile goes to the fake backend as a POST whose data says what was sent; like WeChat,
    // the answer's body arrives as text.
    uploadFile: jest.fn((opts) => {
      Promise.resolve().then(() => {
        const res = server.handle({ url: opts.url, method: 'POST', header: opts.header,
          data: { filePath: opts.filePath, name: opts.name, formData: opts.formData } });
        if (res.__network) {
          opts.fail && opts.fail({ errMsg: `uploadFile:fail ${res.__network}` });
        } else {
          opts.success && opts.success({ statusCode: res.status, data: JSON.stringify(res.body) });
        }
      });
      return { abort: jest.fn(), onProgressUpdate: jest.fn() };
    }),
    chooseMedia: jest.fn((opts) => opts.success({ type: 'image', tempFiles: [
      { tempFilePath: 'wxfile://tmp/photo-1.jpg', size: 1200000, fileType: 'image' }] })),
    chooseMessageFile: jest.fn((opts) => opts.success({ tempFiles: [
      { path: 'wxfile://tmp/hukou.pdf', name: '户口簿.pdf', size: 300000, type: 'file' }] })),
    openDocument: ok('openDocument'),
    login: jest.fn((opts) => opts.success({ code: 'test-resident' })),
    requestPayment: ok('requestPayment'),
    requestSubscribeMessage: jest.fn((opts) => {
      const res = { errMsg: 'requestSubscribeMessage:ok' };
      opts.tmplIds.forEach((id) => { res[id] = 'accept'; });
      opts.success(res);
    }),
    showToast: jest.fn(),
    showLoading: jest.fn(),
    hideLoading: jest.fn(),
    showModal: jest.fn((opts) => opts.success && opts.success({ confirm: true, cancel: false })),
    navigateTo: ok('navigateTo'),
    redirectTo: ok('redirectTo'),
    switchTab: ok('switchTab'),
    reLaunch: ok('reLaunch'),
    navigateBack: ok('navigateBack'),
    makePhoneCall: ok('makePhoneCall'),
    setClipboardData: ok('setClipboardData'),
    shareFileMessage: ok('shareFileMessage'),
    previewImage: ok('previewImage'),
    saveImageToPhotosAlbum: ok('saveImageToPhotosAlbum'),
    stopPullDownRefresh: jest.fn(),
    setNavigationBarTitle: jest.fn(),
    getFileSystemManager: jest.fn(() => ({ writeFile: ok('writeFile') })),
    // Privacy (隐私保护指引): WeChat keeps the last listener only; tests call it as WeChat would.
    onNeedPrivacyAuthorization: jest.fn(),
    openPrivacyContract: ok('openPrivacyContract'),
    getPrivacySetting: jest.fn((opts) => opts.success && opts.success({
      needAuthorization: true, privacyContractName: '《指尖办小程序隐私保护指引》', errMsg: 'getPrivacySetting:ok' })),
  };
}

// Pages are written with Page(); miniprogram-simulate renders components, so a page becomes a
// component whose lifecycle handlers (onLoad, onShow, ...) are methods the helpers call.
global.Page = (def) => {
  const data = def.data || {};
  const methods = {};
  Object.keys(def).forEach((k) => {
    if (typeof def[k] === 'function') methods[k] = def[k];
  });
  global.Component({ data, methods });
};
global.getApp = () => ({ globalData: {} });

// TDesign stand-ins: same tags and events, minimal markup.
function stub(template, properties = {}, methods = {}) {
  return simulate.load({ template, properties, methods, options: { multipleSlots: true } });
}
const TDESIGN = {
  't-button': stub('<view class="t-button" data-disabled="{{disabled}}" catchtap="onTap"><slot /></view>',
    { disabled: Boolean, loading: Boolean, theme: String, variant: String, block: Boolean, size: String, ariaLabel: String },
    { onTap() { if (!this.data.disabled && !this.data.loading) this.triggerEvent('tap'); } }),
  't-cell': stub('<view class="t-cell" catchtap="onTap"><view class="t-cell__title">{{title}}</view><view class="t-cell__desc">{{description}}</view><view class="t-cell__note">{{note}}</view><slot name="note" /><slot /></view>',
    { title: String, description: String, note: String, arrow: Boolean, hover: Boolean, ariaLabel: String },
    { onTap() { this.triggerEvent('click'); } }),
  't-cell-group': stub('<view class="t-cell-group"><view wx:if="{{title}}" class="t-cell-group__title">{{title}}</view><slot /></view>', { title: String, theme: String }),
  't-search': stub('<view class="t-search">{{value}}</view>', { value: String, placeholder: String }),
  't-tag': stub('<view class="t-tag">{{theme}}<slot /></view>', { theme: String, variant: String }),
  't-input': stub('<view class="t-input" data-disabled="{{disabled}}">{{label}}:{{value}}<view class="t-input__tips">{{tips}}</view></view>', { label: String, value: String, placeholder: String, type: String, tips: String, status: String, maxlength: Number, disabled: Boolean }),
  't-textarea': stub('<view class="t-textarea">{{value}}</view>', { value: String, placeholder: String, maxlength: Number }),
  't-rate': stub('<view class="t-rate">{{value}}</view>', { value: Number, count: Number, size: String }),
  't-switch': stub('<view class="t-switch">{{value}}</view>', { value: Boolean }),
  't-loading': stub('<view class="t-loading">{{text}}</view>', { text: String, theme: String, size: String }),
  't-empty': stub('<view class="t-empty">{{description}}</view>', { description: String, icon: String }),
};
const APP_COMPONENTS = {
  'zjb-state': '/components/state/index',
  'zjb-timeline': '/components/timeline/index',
  'zjb-status-tag': '/components/status-tag/index',
  'zjb-subscribe-card': '/components/subscribe-card/index',
  'zjb-privacy-popup': '/components/privacy-popup/index',
};

function flush(times = 6) {
  let p = Promise.resolve();
  for (let i = 0; i < times; i += 1) p = p.then(() => new Promise((r) => setTimeout(r, 0)));
  return p;
}

function load(relPath, root = ROOT) {
  let id;
  jest.isolateModules(() => {
    id = simulate.load(path.join(root, relPath), {
      rootPath: root,
      compiler: 'simulate',
      usingComponents: { ...TDESIGN, ...APP_COMPONENTS },
    });
  });
  return id;
}

// Render a component (components/<name>/index) with properties.
async function renderComponent(name, props = {}) {
  const comp = simulate.render(load(`components/${name}/index`), props);
  comp.attach(document.createElement('parent-wrapper'));
  await flush();
  return comp;
}

// Render a page, then run onLoad(query) and onShow() as WeChat would. `root` renders it from
// another copy of the mini-program (the release build).
async function renderPage(pagePath, query = {}, root = ROOT) {
  const page = simulate.render(load(`pages/${pagePath}/index`, root));
  page.attach(document.createElement('parent-wrapper'));
  const inst = page.instance;
  if (inst.onLoad) await inst.onLoad(query);
  if (inst.onShow) await inst.onShow();
  await flush();
  return page;
}

function text(comp) {
  return comp.dom.textContent.replace(/\s+/g, ' ');
}

// Tap the first element matching selector (inside the page, through custom components).
async function tap(comp, selector) {
  const el = comp.querySelector(selector);
  if (!el) throw new Error(`no element ${selector}`);
  el.dispatchEvent('tap');
  await flush();
}

// Tap what shows `label`: the deepest rendered element showing exactly it, else the first one
// whose text contains it. The tap bubbles
// to the nearest bindtap, as a finger tap would.
async function tapText(comp, label) {
  const all = Array.from(comp.dom.querySelectorAll('*')).filter((el) => el.textContent.indexOf(label) >= 0);
  const deepest = all.filter((e) => !Array.from(e.children).some((c) => c.textContent.indexOf(label) >= 0));
  const el = deepest.find((e) => e.textContent.trim() === label) || deepest[0];
  if (!el) throw new Error(`nothing shows "${label}" in: ${text(comp)}`);
  let node = el;
  while (node && !node.__wxElement) node = node.parentNode;
  exparser.Event.dispatchEvent(node.__wxElement, exparser.Event.create('tap', {}, {
    bubbles: true, composed: true, capturePhase: true, extraFields: { touches: {}, changedTouches: {} },
  }));
  await flush();
}

function login(user = { id: 'u1', realname_verified: true }) {
  wx.setStorageSync('zjb.session', { accessToken: 'access-1', refreshToken: 'refresh-1', user });
}

global.wx = makeWx();
beforeEach(() => {
  global.wx = makeWx();
  server.reset();
  require('../utils/clock').reset(); // each test measures the server's clock afresh
});

global.T = { server, apiError, renderPage, renderComponent, flush, text, tap, tapText, login, simulate, ROOT };
