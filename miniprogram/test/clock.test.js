// utils/clock.js: "today" and the time come from the server (GET /time), not from the phone.
const fx = require('./fixtures');
const clock = require('../utils/clock');

const { server, renderPage, login, text, flush } = T;
const DAY_MS = 86400 * 1000;
const AHEAD = 3 * DAY_MS + 5 * 3600 * 1000; // a sandbox clock moved three days and five hours on

function beijingDay(ms) {
  return new Date(ms + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

beforeEach(() => {
  fx.install(server);
});

describe('utils/clock', () => {
  test('before the server has answered, the phone\'s own time stands in', () => {
    expect(clock.today()).toBe(beijingDay(Date.now()));
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(1000);
  });

  test('takes today and the time from GET /time, without a login', async () => {
    server.on('GET', '/time', fx.serverTime(AHEAD));
    await clock.sync();
    const calls = server.callsTo('GET', '/time');
    expect(calls).toHaveLength(1);
    expect(calls[0].header.Authorization).toBeUndefined();
    expect(Math.abs(clock.now() - (Date.now() + AHEAD))).toBeLessThan(2000);
    expect(clock.today()).toBe(beijingDay(Date.now() + AHEAD));
    const days = clock.days(3);
    expect(days.map((d) => d.value)).toEqual([0, 1, 2].map((i) => beijingDay(Date.now() + AHEAD + i * DAY_MS)));
    expect(days[0].week).toBe('今天');
  });

  test('a recent measurement is reused; an older one is taken again', async () => {
    server.on('GET', '/time', fx.serverTime(AHEAD));
    await clock.sync();
    await clock.sync({ maxAgeMs: 60000 });
    expect(server.callsTo('GET', '/time')).toHaveLength(1);
    await clock.sync();
    expect(server.callsTo('GET', '/time')).toHaveLength(2);
  });

  test('an unreachable server or a bad answer keeps the offset already known', async () => {
    server.on('GET', '/time', fx.serverTime(AHEAD));
    await clock.sync();
    server.on('GET', '/time', { __network: 'timeout' });
    await expect(clock.sync()).resolves.toBeUndefined();
    server.on('GET', '/time', { now: 'not a time' });
    await clock.sync();
    expect(clock.today()).toBe(beijingDay(Date.now() + AHEAD));
  });
});

describe('pages use the server\'s day', () => {
  test('the booking day strip starts on the server\'s today and asks for its slots', async () => {
    server.on('GET', '/time', fx.serverTime(AHEAD));
    const book = await renderPage('booking/book', { service_id: 'svc1' });
    const serverToday = beijingDay(Date.now() + AHEAD);
    expect(book.data.days[0].value).toBe(serverToday);
    expect(book.data.days).toHaveLength(7);
    expect(book.data.date).toBe(serverToday);
    expect(server.callsTo('GET', '/services/svc1/slots')[0].query.date).toBe(serverToday);
  });

  test('an appointment on the server\'s today shows the queue, though the phone is days behind', async () => {
    login();
    server.on('GET', '/time', fx.serverTime(AHEAD));
    const start = `${beijingDay(Date.now() + AHEAD)}T23:30:00+08:00`;
    server.on('GET', '/appointments/ap1', { ...fx.APPOINTMENT, status: 'checked_in', start, end: start, cancel_deadline: start });
    server.on('GET', '/appointments/ap1/queue', { ticket_number: 'A012', ahead: 3, status: 'waiting', window_number: '05' });
    const detail = await renderPage('booking/detail', { id: 'ap1' });
    await flush();
    expect(text(detail)).toContain('今日排队');
    expect(server.callsTo('GET', '/appointments/ap1/queue')).toHaveLength(1);
  });

  test('the cancel deadline is judged by the server\'s time', async () => {
    login();
    server.on('GET', '/time', fx.serverTime(AHEAD));
    // By the phone the deadline is a day away; by the server it passed two days ago.
    const deadline = new Date(Date.now() + DAY_MS).toISOString();
    server.on('GET', '/appointments/ap1', { ...fx.APPOINTMENT, cancel_deadline: deadline });
    const detail = await renderPage('booking/detail', { id: 'ap1' });
    expect(detail.data.canCancel).toBe(false);
    expect(text(detail)).toContain('不足 2 小时，不能在线取消');
  });
});
