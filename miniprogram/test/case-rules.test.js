// The rating rule as the API has it: the same examples are checked in tests/test_cases_rating.py.
const examples = require('./case-rules.examples.json');
const { ratingAllowed, canRate } = require('../utils/case-rules');
const fx = require('./fixtures');

const { server, renderPage, text, login } = T;

describe('rating rule', () => {
  test.each(examples.rating_allowed)('$status after $history → $allowed', ({ status, history, allowed }) => {
    expect(ratingAllowed(status, history)).toBe(allowed);
  });

  test('a rated case is not offered again; a case without a timeline is judged by its status', () => {
    const done = { status: 'completed', timeline: [{ status: 'completed' }] };
    expect(canRate(done)).toBe(true);
    expect(canRate({ ...done, rated: true })).toBe(false);
    expect(canRate({ status: 'withdrawn' })).toBe(false);
    expect(canRate(null)).toBe(false);
  });
});

describe('case page offers rating exactly when the API allows it', () => {
  beforeEach(() => {
    fx.install(server);
    login();
  });

  test.each(examples.rating_allowed)('$status after $history', async ({ status, history, allowed }) => {
    const timeline = history.map((s, i) => ({ status: s, at: `2024-05-0${Math.min(i + 1, 9)}T09:00:00+08:00`, note: '' }));
    server.on('GET', '/applications/c1', { ...fx.CASE, status, timeline, rated: false });
    const page = await renderPage('case/detail', { id: 'c1' });
    expect(text(page).includes('评价办理')).toBe(allowed);
  });

  test('not once the case is rated', async () => {
    server.on('GET', '/applications/c1', { ...fx.CASE, status: 'rejected', rated: true,
      timeline: [{ status: 'submitted', at: '2024-05-06T09:00:00+08:00', note: '' },
        { status: 'rejected', at: '2024-05-07T09:00:00+08:00', note: '不符合条件' }] });
    const page = await renderPage('case/detail', { id: 'c1' });
    expect(text(page)).not.toContain('评价办理');
  });
});
