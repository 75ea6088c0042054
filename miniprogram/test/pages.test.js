// Render every page against the fake backend and check what the resident sees.
const fx = require('./fixtures');

const { server, renderPage, text, login, apiError } = T;

beforeEach(() => {
  fx.install(server);
  login();
});

const PAGES = [
  ['home/index', {}, ['高频服务', '户口迁移', '我要迁户口', '公安局']],
  ['service/list', { q: '户口' }, ['搜索：户口', '户口迁移', '可网办', '最多跑一次']],
  ['service/guide', { id: 'svc1' }, ['居民身份证', '必需·可容缺', '¥10.00', '5 个工作日', '市民中心 A 区', '最多跑一次', '在线申请', '预约到厅']],
  ['auth/login', {}, ['微信一键登录', '隐私政策']],
  ['auth/realname', {}, ['姓名', '身份证号', '提交认证']],
  ['booking/book', { service_id: 'svc1' }, ['市民中心', '09:00-10:00', '余 3', '已约满']],
  ['booking/list', {}, ['户口迁移', '已预约', '2030-01-07 09:00-10:00']],
  ['booking/detail', { id: 'ap1' }, ['K7PX3M9Q', '取消预约', '2 小时']],
  ['case/apply', { service_id: 'svc1' }, ['联系电话', '材料清单', '居民身份证', '可容缺', '提交申请']],
  ['case/list', {}, ['户口迁移', 'ZJB20240506000123', '审查中']],
  ['case/detail', { id: 'c1' }, ['办理进度', '已受理', '窗口受理', '审查中', '承诺办结 2024年5月13日（周一）（暂定）',
    '国务院公布放假安排后可能调整']],
  ['case/rate', { id: 'c1' }, ['非常满意', '非常不满意', '提交评价']],
  ['pay/list', {}, ['工本费', '¥10.50', '待支付']],
  ['pay/order', { id: 'pay1' }, ['¥10.50', '快递费', '微信支付', '支付宝扫码支付', '沙箱环境']],
  ['pay/result', { id: 'pay1' }, ['正在确认支付结果']],
  ['receipt/list', {}, ['0000012345', '¥10.50']],
  ['receipt/detail', { id: 'r1' }, ['33010124', 'a1b2c3', '张*', '查看 PDF 票据']],
  ['me/index', {}, ['张*', '1101**********002X', '我的预约', '我的证照', '站内信', '预约提醒']],
  ['me/inbox', {}, ['办件已受理']],
  ['me/settings', {}, ['长辈模式', '沙箱环境']],
  ['me/help', {}, ['12345', '常见问题', '在线反映问题']],
  ['me/data', {}, ['账号与实名信息', '预约记录', '2 条', '站内消息', '全部删除', '导出压缩包', '注销账号']],
  ['bundle/event', { id: 'move' }, ['我要迁户口', '共 2 个事项', '迁入地址', '用于：户口迁移、社保卡信息变更', '投靠配偶',
    '居民身份证', '无需提交：户口簿个人页', '一次提交全部事项']],
  ['bundle/detail', { id: 'b1' }, ['YJS20240506000001', '办理中', '户口迁移', '已受理', '社保卡信息变更', '¥10.00', '去缴费']],
  ['bundle/list', {}, ['我要迁户口', 'YJS20240506000001', '2 个事项', '办理中']],
  ['complaint/new', {}, ['投诉', '求助', '建议', '咨询', '反映内容', '同意承办人员联系我']],
  ['complaint/list', {}, ['我要反映', '投诉 · GD20240506000007', '已答复']],
  ['complaint/detail', { id: 'q1' }, ['道闸已修复', '您对答复满意吗', '满意', '不满意', '已登记', '转交公安局办理']],
  ['agency/list', {}, ['我给出的授权', '帮办员 王**（工号 clerk1）', '户口迁移', '授权给我的', '李* 授权我代办', '全部事项']],
  ['agency/new', {}, ['大厅帮办员', '家人或朋友', '授权期限', '90 天', '确认授权']],
  ['agency/code', {}, ['我的办事码', '秒后自动刷新']],
  ['me/licences', {}, ['从电子证照库获取', '营业执照（个体工商户）', '有效', '长期有效', '查验二维码']],
  ['legal/terms', {}, ['指尖办用户服务协议', '账号与实名认证', '联系我们', '服务热线：12345']],
  ['legal/privacy', {}, ['指尖办隐私政策', '敏感个人信息', '信息的保存', '您的权利', '服务热线 12345']],
];

describe.each(PAGES)('page %s', (pagePath, query, expected) => {
  test('renders its content', async () => {
    const page = await renderPage(pagePath, query);
    const t = text(page);
    expected.forEach((s) => expect(t).toContain(s));
    if (page.instance.stop) page.instance.stop();
  });
});

describe('accessibility and hygiene of the sources', () => {
  const fs = require('fs');
  const path = require('path');
  const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (
    d.isDirectory() ? walk(path.join(dir, d.name)) : [path.join(dir, d.name)]));
  const files = [...walk(path.join(T.ROOT, 'pages')), ...walk(path.join(T.ROOT, 'components'))];

  test('every page listed in app.json, main package and sub-packages, exists with its four files', () => {
    const app = JSON.parse(fs.readFileSync(path.join(T.ROOT, 'app.json'), 'utf8'));
    const pages = require('../scripts/lib/package').allPages(app);
    pages.forEach((p) => ['js', 'json', 'wxml', 'wxss'].forEach((ext) => {
      expect(fs.existsSync(path.join(T.ROOT, `${p}.${ext}`))).toBe(true);
    }));
    expect(pages.map((p) => p.replace(/^pages\//, '').replace(/\/index$/, '')).sort())
      .toEqual(PAGES.map(([p]) => p).sort());
  });

  test('every button and every tappable element carries an aria-label', () => {
    files.filter((f) => f.endsWith('.wxml')).forEach((f) => {
      const src = fs.readFileSync(f, 'utf8');
      const tags = src.match(/<[a-z-]+\s[^>]*>/g) || [];
      tags.filter((t) => /^<t-button|bindtap=|bind:tap=|bind:change=/.test(t)).forEach((t) => {
        if (!/aria-label=/.test(t)) throw new Error(`${path.relative(T.ROOT, f)}: no aria-label on ${t}`);
      });
    });
  });

  test('no console.log and no mock switch in the app code', () => {
    const code = [...files, ...walk(path.join(T.ROOT, 'services')), ...walk(path.join(T.ROOT, 'utils')),
      path.join(T.ROOT, 'app.js'), ...walk(path.join(T.ROOT, 'config'))].filter((f) => f.endsWith('.js'));
    code.forEach((f) => {
      const src = fs.readFileSync(f, 'utf8');
      expect(src).not.toMatch(/console\.log/);
      expect(src).not.toMatch(/useMock|mockMode/i);
    });
  });
});

describe('a booking the centre cancelled', () => {
  const CANCELLED = { ...fx.APPOINTMENT, status: 'cancelled_by_centre', cancel_reason: '电力线路检修' };

  test('the list and the detail show the status, the reason and a way to book again', async () => {
    server.on('GET', '/appointments', { items: [CANCELLED], next_cursor: null });
    server.on('GET', '/appointments/ap1', CANCELLED);
    const list = await renderPage('booking/list');
    ['中心已取消', '电力线路检修', '重新预约'].forEach((s) => expect(text(list)).toContain(s));
    const detail = await renderPage('booking/detail', { id: 'ap1' });
    ['中心已取消', '原因：电力线路检修', '不记爽约', '重新预约'].forEach((s) => expect(text(detail)).toContain(s));
    expect(text(detail)).not.toContain('取消预约');
    wx.navigateTo.mockClear();
    await T.tapText(detail, '重新预约');
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/booking/book/index?service_id=svc1' });
  });
});

describe('loading, empty and error states', () => {
  test('list pages show their empty state', async () => {
    server.on('GET', '/applications', { items: [], next_cursor: null });
    server.on('GET', '/appointments', { items: [], next_cursor: null });
    server.on('GET', '/receipts', { items: [], next_cursor: null });
    server.on('GET', '/payments', { items: [], next_cursor: null });
    server.on('GET', '/me/inbox', { items: [], next_cursor: null });
    expect(text(await renderPage('case/list'))).toContain('还没有办件');
    expect(text(await renderPage('booking/list'))).toContain('还没有预约');
    expect(text(await renderPage('receipt/list'))).toContain('暂无电子票据');
    expect(text(await renderPage('pay/list'))).toContain('暂无缴费记录');
    expect(text(await renderPage('me/inbox'))).toContain('暂无消息');
  });

  test('search with no result', async () => {
    server.on('GET', '/services', { items: [], next_cursor: null });
    expect(text(await renderPage('service/list', { q: '不存在' }))).toContain('没有找到相关事项');
  });

  test('a server error shows the server message and retry works', async () => {
    let fail = true;
    server.on('GET', '/services/svc1', () => (fail ? apiError(503, 'service_unavailable', '服务维护中，请稍后再试') : fx.SERVICE));
    const page = await renderPage('service/guide', { id: 'svc1' });
    expect(text(page)).toContain('服务维护中，请稍后再试');
    expect(text(page)).toContain('重新加载');
    fail = false;
    await T.tapText(page, '重新加载');
    expect(text(page)).toContain('居民身份证');
  });

  test('network failure is explained in Chinese', async () => {
    server.on('GET', '/applications/c1', { __network: 'timeout' });
    const page = await renderPage('case/detail', { id: 'c1' });
    expect(text(page)).toContain('请求超时');
  });

  test('pages needing login offer a login button when signed out', async () => {
    wx.removeStorageSync('zjb.session');
    const page = await renderPage('case/list');
    expect(text(page)).toContain('登录后查看您的办件');
    await T.tapText(page, '去登录');
    expect(wx.navigateTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/auth/login/index' }));
    const me = await renderPage('me/index');
    expect(text(me)).toContain('未登录');
  });

  test('the 我的 page logs out on the server and forgets the tokens', async () => {
    server.on('POST', '/auth/logout', { ok: true });
    const me = await renderPage('me/index');
    expect(text(me)).toContain('退出登录');
    await T.tapText(me, '退出登录');
    const calls = server.callsTo('POST', '/auth/logout');
    expect(calls).toHaveLength(1);
    expect(calls[0].header.Authorization).toBe('Bearer access-1');
    expect(wx.getStorageSync('zjb.session')).toBe('');
    expect(text(me)).toContain('未登录');
    expect(text(me)).not.toContain('张*');
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '已退出登录' }));
  });

  test('logging out offline still forgets the tokens', async () => {
    server.on('POST', '/auth/logout', { __network: 'fail' });
    const me = await renderPage('me/index');
    await T.tapText(me, '退出登录');
    expect(server.callsTo('POST', '/auth/logout')).toHaveLength(1);
    expect(wx.getStorageSync('zjb.session')).toBe('');
    expect(text(me)).toContain('未登录');
  });

  test('loading state is shown while a request is in flight', async () => {
    server.on('GET', '/receipts/r1', () => ({ __network: 'never' }));
    wx.request = jest.fn(); // never answers
    const page = await renderPage('receipt/detail', { id: 'r1' });
    expect(text(page)).toContain('加载中');
  });
});
