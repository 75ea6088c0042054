// Supervisor: traffic-light board of cases by department, ratings and rectification orders,
// on-time and satisfaction figures with simple inline-SVG charts (no chart library).
import {
  getStaffRatings, getStaffRectifications, getStaffSupervisionCases, getStaffSupervisionSummary,
} from '../api/supervision.js';
import {
  h, clear, field, select, button, act, pageHeader, section,
} from '../ui.js';
import { casesTable } from '../views/case/list.js';
import { ratingsTable, rectificationsTable } from '../views/supervision/ratings.js';

const ROLES = ['supervisor'];
const GROUP = '监察';
const LIGHTS = [['green', '绿灯', 'g'], ['yellow', '黄灯', 'y'], ['red', '红灯', 'r']];
const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** Horizontal bar chart: rows = [{label, value}], value in [0, max]. */
export function barChart(title, rows, { max = 1, format = (v) => `${Math.round(v * 100)}%`, alt = false } = {}) {
  const rowH = 26;
  const labelW = 150;
  const barW = 360;
  const height = rows.length * rowH + 10;
  const shown = (v) => (v === null || v === undefined ? '—' : format(v));
  const chart = svg('svg', {
    class: 'chart', width: labelW + barW + 70, height, viewBox: `0 0 ${labelW + barW + 70} ${height}`, role: 'img',
    'aria-label': `${title}：${rows.map((r) => `${r.label} ${shown(r.value)}`).join('，')}`,
  });
  chart.append(svg('title', {}, title));
  rows.forEach((r, i) => {
    const y = i * rowH + 5;
    const w = max ? Math.max(0, Math.min(1, (r.value || 0) / max)) * barW : 0;
    chart.append(
      svg('text', { x: labelW - 6, y: y + 15, 'text-anchor': 'end' }, r.label),
      svg('rect', { x: labelW, y: y + 3, width: barW, height: rowH - 8, fill: '#f0f2f5' }),
      svg('rect', { class: `bar${alt ? ' alt' : ''}`, x: labelW, y: y + 3, width: w, height: rowH - 8,
        'data-value': r.value ?? '' }),
      svg('text', { x: labelW + barW + 6, y: y + 15 }, shown(r.value)));
  });
  return h('figure', { class: 'chart-figure' }, h('figcaption', {}, title), chart);
}

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

function num(v) {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

async function renderStats(main) {
  const msg = pageHeader(main, '统计图表', '各部门按时办结率与群众满意度。');
  const s = await act(msg, () => getStaffSupervisionSummary());
  if (!s) return;
  const onTime = num(s.on_time_rate);
  const satisfaction = num(s.satisfaction);
  main.append(h('div', { class: 'kpis' },
    h('div', { class: 'kpi', dataset: { kpi: 'on_time' } }, h('div', { class: 'v' }, onTime === null ? '—' : `${Math.round(onTime * 100)}%`), h('div', { class: 'k' }, '按时办结率')),
    h('div', { class: 'kpi', dataset: { kpi: 'satisfaction' } }, h('div', { class: 'v' }, satisfaction === null ? '—' : `${satisfaction.toFixed(2)} 分`), h('div', { class: 'k' }, '满意度（平均星级，满分 5）')),
    ...LIGHTS.map(([l, label]) => (num(s[l]) !== null || (s.lights && num(s.lights[l]) !== null) ? h('div', { class: 'kpi' },
      h('div', { class: 'v' }, h('span', { class: `dot ${l}`, 'aria-hidden': 'true' }), String(num(s[l]) ?? s.lights[l])), h('div', { class: 'k' }, label)) : null))));
  const depts = s.departments || s.by_department || [];
  if (depts.length) {
    main.append(h('div', { class: 'cols-2' },
      section('按时办结率', barChart('各部门按时办结率', depts.map((d) => ({ label: d.department_name || d.name || d.department_id, value: num(d.on_time_rate) })))),
      // Satisfaction is the average star rating (1–5): bars to scale against 5.
      section('满意度（平均星级，满分 5）', barChart('各部门满意度', depts.map((d) => ({
        label: d.department_name || d.name || d.department_id, value: num(d.satisfaction),
      })), { max: 5, format: (v) => `${v.toFixed(2)} 分`, alt: true }))));
  }
  const r = await act(msg, () => getStaffRatings());
  if (r) {
    const counts = [5, 4, 3, 2, 1].map((n) => ({ label: `${n} 星`, value: r.items.filter((x) => x.score === n).length }));
    const max = Math.max(1, ...counts.map((c) => c.value));
    main.append(section('评分分布', barChart('评分分布', counts, { max, format: (v) => `${v} 条`, alt: true })));
  }
}

export default [
  { path: 'supervisor/board', title: '红黄绿灯', group: GROUP, roles: ROLES, render: renderBoard },
  { path: 'supervisor/ratings', title: '评价与整改', group: GROUP, roles: ROLES, render: renderRatings },
  { path: 'supervisor/stats', title: '统计图表', group: GROUP, roles: ROLES, render: renderStats },
];
