// The slot calendar: per day, capacity and bookings (with releasing a day's slots now), and per
// service a grid of its slots coloured by how full they are.
import { h, button, table, fmtHM } from '../../ui.js';

const dayOf = (s) => s.date || s.start.slice(0, 10);

function fillClass(rate, released) {
  if (released === false) return 'unreleased';
  if (!rate) return 'fill-0';
  if (rate < 0.5) return 'fill-1';
  if (rate < 0.8) return 'fill-2';
  if (rate < 1) return 'fill-3';
  return 'fill-4';
}

function sum(slots, date, key) {
  return slots.filter((s) => dayOf(s) === date).reduce((a, s) => a + (s[key] || 0), 0);
}

function pct(a, b) {
  return b ? `${Math.round((100 * a) / b)}%` : '—';
}

export function calendarLegend() {
  return h('p', { class: 'legend' }, '图例：',
    [['fill-0', '无预约'], ['fill-1', '低于 50%'], ['fill-2', '50%–79%'], ['fill-3', '80%–99%'], ['fill-4', '已约满'],
      ['unreleased', '未放号']].map(([cls, text]) => h('span', { class: `swatch ${cls}` }, text)));
}

/** The days' totals; `release(date, button)` releases a day's slots now. */
export function daySummary(slots, dates, release) {
  return table([
    { label: '日期', render: (d) => d },
    { label: '时段数', render: (d) => slots.filter((s) => dayOf(s) === d).length },
    { label: '容量', render: (d) => sum(slots, d, 'capacity') },
    { label: '已约', render: (d) => sum(slots, d, 'booked') },
    { label: '预约率', render: (d) => pct(sum(slots, d, 'booked'), sum(slots, d, 'capacity')) },
    { label: '操作', render: (d) => button('立即放号', (e) => release(d, e.target)) },
  ], dates, { caption: '每日汇总', empty: '该期间没有时段' });
}

function slotCell(s) {
  if (!s) return h('td', {}, '');
  const rate = s.fill_rate ?? (s.capacity ? s.booked / s.capacity : 0);
  return h('td', { class: fillClass(rate, s.released), title: `${s.booked}/${s.capacity}` },
    `${s.booked}/${s.capacity}`, h('br'), `${Math.round(rate * 100)}%`);
}

/** One service's grid: its times down, the days across. */
export function serviceGrid(svc, slots, dates) {
  const mine = slots.filter((s) => (s.service_name || s.service_id) === svc);
  const times = [...new Set(mine.map((s) => fmtHM(s.start)))].sort();
  const grid = h('table', { class: 'calendar' }, h('caption', {}, svc),
    h('thead', {}, h('tr', {}, h('th', {}, '时段'), dates.map((d) => h('th', { scope: 'col' }, d.slice(5))))),
    h('tbody', {}, times.map((t) => h('tr', {}, h('th', { scope: 'row' }, t),
      dates.map((d) => slotCell(mine.find((x) => dayOf(x) === d && fmtHM(x.start) === t)))))));
  return h('section', { class: 'card' }, grid);
}

export function calendarView(slots, release) {
  const dates = [...new Set(slots.map(dayOf))].sort();
  const services = [...new Set(slots.map((s) => s.service_name || s.service_id))].sort();
  return h('div', {}, calendarLegend(), daySummary(slots, dates, release),
    h('div', { class: 'cal-grid' }, services.map((svc) => serviceGrid(svc, slots, dates))));
}
