// One Idempotency-Key per tap of 提交: a retried request (after a token refresh) carries the same key,
// the next tap a new one; and a refused case says which refusal it was (不予受理 or 不予批准).
const fx = require('./fixtures');
const examples = require('./case-rules.examples.json');
const { outcome } = require('../utils/case-rules');

const { server, renderPage, text, tapText, login, apiError } = T;

beforeEach(() => {
  fx.install(server);
  login();
});

function keysOf(method, path) {
  return server.callsTo(method, path).map((c) => c.header['Idempotency-Key']);
}

describe('one key per submit tap', () => {
  test('a case: the retry after a refresh keeps the key; a second tap sends a new one', async () => {
    let first = true;
    server.on('POST', '/applications', () => {
      if (first) {
        first = false;
        return apiError(401, 'unauthenticated', '登录已过期');
      }
      return { status: 201, body: { ...fx.CASE, id: 'c2', status: 'submitted' } };
    });
    server.on('POST', '/auth/refresh', { access_token: 'access-2', refresh_token: 'refresh-2', expires_in: 900 });
    const apply = await renderPage('case/apply', { service_id: 'svc1' });
    apply.instance.onPhone({ detail: { value: '13800001111' } });
    await tapText(apply, '居民身份证');
    await tapText(apply, '提交申请');
    await tapText(apply, '提交申请');
    const keys = keysOf('POST', '/applications');
    expect(keys).toHaveLength(3);
    expect(keys[0]).toMatch(/^mp-[0-9a-f]+-[0-9a-f]{16}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
  });

  test('a 一件事: each tap its own key', async () => {
    server.on('POST', '/life-events/move/applications', { status: 201, body: { ...fx.BUNDLE, applications: [] } });
    const page = await renderPage('bundle/event', { id: 'move' });
    page.instance.onField({ currentTarget: { dataset: { key: 'new_address' } }, detail: { value: '人民路 1 号' } });
    page.instance.onField({ currentTarget: { dataset: { key: 'contact_phone' } }, detail: { value: '13800001111' } });
    await tapText(page, '投靠配偶');
    await tapText(page, '居民身份证');
    await tapText(page, '一次提交全部事项');
    await tapText(page, '一次提交全部事项');
    const keys = keysOf('POST', '/life-events/move/applications');
    expect(keys).toHaveLength(2);
    expect(keys.every((k) => /^mp-/.test(k))).toBe(true);
    expect(keys[1]).not.toBe(keys[0]);
  });
});

describe('a refusal says which it was', () => {
  test.each(examples.outcome)('$status after $history → $outcome', ({ status, history, outcome: want }) => {
    expect(outcome(status, history)).toBe(want);
  });

  test('the case page, its timeline and the bundle page say 不予受理 for a refusal at intake', async () => {
    const timeline = [{ status: 'submitted', at: '2024-05-06T09:00:00+08:00', note: '' },
      { status: 'rejected', at: '2024-05-07T09:00:00+08:00', note: '不符合条件' }];
    server.on('GET', '/applications/c1', { ...fx.CASE, status: 'rejected', outcome: 'not_accepted', timeline, rated: false });
    const t = text(await renderPage('case/detail', { id: 'c1' }));
    expect(t).toContain('不予受理');
    expect(t).not.toContain('不予批准');
    const ended = fx.BUNDLE.applications.map((c, i) => ({ ...c, status: i ? 'withdrawn' : 'rejected',
      outcome: i ? null : 'not_approved' }));
    server.on('GET', '/bundles/b1', { ...fx.BUNDLE, status: 'withdrawn', done: true, applications: ended, cases: ended });
    const b = text(await renderPage('bundle/detail', { id: 'b1' }));
    expect(b).toContain('不予批准');
    expect(b).toContain('已撤回');
    expect(b).toContain('一件事编号');
    expect(b).not.toContain('办件编号');
  });
});
