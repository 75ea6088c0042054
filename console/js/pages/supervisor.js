// Supervisor: traffic-light board of cases by department, ratings and rectification orders, and
// the figures as charts drawn to scale (views/supervision/charts.js: inline SVG, no chart library).
import {
  getStaffRatings, getStaffRectifications, getStaffSupervisionCases, getStaffSupervisionSummary,
} from '../api/supervision.js';
import {
  h, clear, field, select, button, act, pageHeader, section,
} from '../ui.js';
import { casesTable } from '../views/case/list.js';
import { ratingsTable, rectificationsTable } from '../views/supervision/ratings.js';
import { hBarChart } from '../views/supervision/charts.js';
import { departmentCharts, trendSection, STARS } from '../views/supervision/stats.js';

const ROLES = ['supervisor'];
const GROUP = '监察';
const LIGHTS = [['green', '绿灯', 'g'], ['yellow', '黄灯', 'y'], ['red', '红灯', 'r']];

function deptName(c) {
  return c.department_name || c.department_id || '未分部门';
}

async function renderBoard(main) {
  const msg = pageHeader(main, '红黄绿灯', '在办办件按办结时限预警：绿灯正常，黄灯临近时限，红灯已超时限。点击数字查看办件。');
  const data = await act(msg, () => getStaffSupervisionCases());
  if (!data) return;
  const items = data.items;
  const depts = [...new Set(items.map(deptName))].sort();
  const list = h('div', { class: 'light-list' });
  const totals = Object.fromEntries(LIGHTS.map(([l]) => [l, items.filter((c) => c.light === l).length]));
  main.append(h('div', { class: 'kpis' }, LIGHTS.map(([l, label]) => h('div', { class: 'kpi', dataset: { light: l } },
    h('div', { class: 'v' }, h('span', { class: `dot ${l}`, 'aria-hidden': 'true' }), String(totals[l])), h('div', { class: 'k' }, label)))));
  const cards = h('div', { class: 'lights' }, depts.map((d) => {
    const mine = items.filter((c) => deptName(c) === d);
    return h('section', { class: 'card light-card', dataset: { department: d } }, h('h3', {}, d),
      h('div', { class: 'counts' }, LIGHTS.map(([l, label, cls]) => {
        const n = mine.filter((c) => c.light === l).length;
        const b = button('', () => show(d, l, label), { class: cls, 'aria-label': `${d} ${label} ${n} 件`, dataset: { light: l } });
        b.append(h('span', { class: `dot ${l}`, 'aria-hidden': 'true' }), String(n));
        return b;
      })));
  }));
  main.append(depts.length ? cards : h('p', { class: 'muted' }, '没有在办办件'), list);

  function show(d, l, label) {
    clear(list, section(`${d} · ${label}`, casesTable(items.filter((c) => deptName(c) === d && c.light === l))));
  }
}

async function renderRatings(main) {
  const msg = pageHeader(main, '评价与整改', '群众对办件的评价；差评生成的整改单须由部门答复、监察办结。');
  const ratingsBox = h('div');
  const rectBox = h('div');
  const rectStatus = select([['open', '未办结'], ['replied', '已答复'], ['closed', '已办结'], ['', '全部']], { name: 'rect-status' });
  main.append(section('整改单', field('状态', rectStatus), rectBox), section('评价', ratingsBox));

  async function loadRatings() {
    const data = await act(msg, () => getStaffRatings());
    if (data) clear(ratingsBox, ratingsTable(data.items));
  }
  async function loadRect() {
    const data = await act(msg, () => getStaffRectifications({ query: { status: rectStatus.value } }));
    if (!data) return;
    // The filter is applied here too, in case the endpoint does not take it.
    const items = rectStatus.value ? data.items.filter((r) => !r.status || r.status === rectStatus.value) : data.items;
    clear(rectBox, rectificationsTable(items, msg, loadRect));
  }

  rectStatus.addEventListener('change', loadRect);
  await Promise.all([loadRect(), loadRatings()]);
}

function kpi(key, value, label, light) {
  return h('div', { class: 'kpi', dataset: key ? { kpi: key } : { light } },
    h('div', { class: 'v' }, light ? h('span', { class: `dot ${light}`, 'aria-hidden': 'true' }) : null, value),
    h('div', { class: 'k' }, label));
}

function kpis(s) {
  const fig = (v, f) => (typeof v === 'number' ? f(v) : '—');
  return h('div', { class: 'kpis' },
    kpi('on_time', fig(s.on_time_rate, (v) => `${Math.round(v * 100)}%`), '按时办结率'),
    kpi('satisfaction', fig(s.satisfaction, STARS), '满意度（平均星级，满分 5）'),
    ...LIGHTS.map(([l, label]) => kpi(null, String(s[l] ?? 0), `在办${label}`, l)));
}

async function ratingSpread(msg) {
  const r = await act(msg, () => getStaffRatings());
  if (!r) return null;
  const stars = [5, 4, 3, 2, 1];
  return section('评分分布', hBarChart({ key: 'ratings', title: '评分分布', categoryName: '评分',
    categories: stars.map((n) => `${n} 星`),
    series: [{ name: '评价条数', cls: 'stars', values: stars.map((n) => r.items.filter((x) => x.score === n).length) }] }));
}

async function renderStats(main) {
  const msg = pageHeader(main, '统计图表', '各部门红黄绿灯、按时办结率与群众满意度，以及所选时段的收件、办结、逾期与满意度走势。');
  const s = await act(msg, () => getStaffSupervisionSummary());
  if (!s) return;
  main.append(kpis(s), departmentCharts(s.departments || []));
  const [trend, spread] = await Promise.all([trendSection(msg), ratingSpread(msg)]);
  main.append(trend, spread || '');
}

export default [
  { path: 'supervisor/board', title: '红黄绿灯', group: GROUP, roles: ROLES, render: renderBoard },
  { path: 'supervisor/ratings', title: '评价与整改', group: GROUP, roles: ROLES, render: renderRatings },
  { path: 'supervisor/stats', title: '统计图表', group: GROUP, roles: ROLES, render: renderStats },
];
