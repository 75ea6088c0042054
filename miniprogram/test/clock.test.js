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
    // Today and the 7 days after it: slots are released 7 days ahead (the backend's default).
    expect(book.data.days).toHaveLength(8);
    expect(book.data.days[7].value).toBe(beijingDay(Date.now() + AHEAD + 7 * DAY_MS));
    expect(book.data.date).toBe(serverToday);
    expect(server.callsTo('GET', '/services/svc1/slots')[0].query.date).toBe(serverToday);
  });

  test('the day strip reaches the last day the server has released, and its slots can be asked for', async () => {
    server.on('GET', '/time', fx.serverTime(AHEAD));
    const last = beijingDay(Date.now() + AHEAD + 7 * DAY_MS);
    server.on('GET', '/services/svc1/slots', { items: [], next_cursor: null, last_release_date: last });
    const book = await renderPage('booking/book', { service_id: 'svc1' });
    await flush();
    const strip = book.data.days.map((d) => d.value);
    expect(strip[0]).toBe(beijingDay(Date.now() + AHEAD));
    expect(strip[strip.length - 1]).toBe(last);
    book.instance.pickDate({ currentTarget: { dataset: { value: last } } });
    await flush();
    const calls = server.callsTo('GET', '/services/svc1/slots');
    expect(calls[calls.length - 1].query).toMatchObject({ date: last, hall_id: 'hall1' });
  });

  test('a hall that releases further ahead lengthens the strip; one that releases less shortens it', async () => {
    server.on('GET', '/time', fx.serverTime(AHEAD));
    server.on('GET', '/services/svc1/slots', { items: [], next_cursor: null,
      last_release_date: beijingDay(Date.now() + AHEAD + 14 * DAY_MS) });
    const book = await renderPage('booking/book', { service_id: 'svc1' });
    await flush();
    expect(book.data.days).toHaveLength(15);
    const far = book.data.days[14].value;
    book.instance.pickDate({ currentTarget: { dataset: { value: far } } });
    await flush();
    // Another hall releases only 3 days ahead: the strip ends there, and a day past it is not kept.
    server.on('GET', '/services/svc1/slots', { items: [], next_cursor: null,
      last_release_date: beijingDay(Date.now() + AHEAD + 3 * DAY_MS) });
    book.instance.pickHall({ currentTarget: { dataset: { id: 'hall1' } } });
    await flush();
    expect(book.data.days).toHaveLength(4);
    expect(book.data.date).toBe(beijingDay(Date.now() + AHEAD));
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
