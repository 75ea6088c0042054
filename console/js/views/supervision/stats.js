// The supervisor's figures as charts: per department the traffic lights of open cases, the on-time
// rate and satisfaction; over a chosen period (by day or by week) the cases received and completed,
// those that passed their deadline unfinished, and satisfaction.
import { getStaffSupervisionTrend } from '../../api/supervision.js';
import { h, clear, field, input, select, act, section } from '../../ui.js';
import { hBarChart, columnChart } from './charts.js';

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const round2 = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(2));
export const STARS = (v) => `${round2(v)} 分`;
const PERCENT = (v) => `${Math.round(v * 100)}%`;
const deptName = (d) => d.department_name || '未分部门';

/** Per-department charts of the supervision summary (rows of GET /staff/supervision/summary). */
export function departmentCharts(depts) {
  if (!depts.length) return h('p', { class: 'muted' }, '暂无部门数据');
  const categories = depts.map(deptName);
  const lights = hBarChart({ key: 'lights', title: '各部门在办办件红黄绿灯', categories, categoryName: '部门',
    series: [['green', '绿灯'], ['yellow', '黄灯'], ['red', '红灯']].map(([cls, name]) => ({
      name, cls, values: depts.map((d) => num(d[cls]) ?? 0) })) });
  const onTime = hBarChart({ key: 'on_time', title: '各部门按时办结率', categories, categoryName: '部门', top: 1, step: 0.2,
    format: PERCENT, series: [{ name: '按时办结率', cls: 'completed', values: depts.map((d) => num(d.on_time_rate)) }] });
  // Satisfaction is the average star rating: bars to scale on 0–5.
  const stars = hBarChart({ key: 'satisfaction', title: '各部门满意度', categories, categoryName: '部门', top: 5, step: 1,
    format: STARS, series: [{ name: '满意度', cls: 'stars', values: depts.map((d) => num(d.satisfaction)) }] });
  return h('div', {}, section('红黄绿灯（在办办件）', lights),
    h('div', { class: 'cols-2' }, section('按时办结率', onTime), section('满意度（平均星级，满分 5）', stars)));
}

/** The three charts of a trend answer (GET /staff/supervision/trend). */
function trendCharts(data) {
  const categories = data.items.map((i) => i.label);
  const base = { categories, categoryName: data.bucket === 'week' ? '周' : '日' };
  return [
    columnChart({ ...base, key: 'volume', title: '收件与办结', series: [
      { name: '收件', cls: 'received', values: data.items.map((i) => i.received) },
      { name: '办结', cls: 'completed', values: data.items.map((i) => i.completed) }] }),
    columnChart({ ...base, key: 'overdue', title: '逾期办件',
      series: [{ name: '逾期', cls: 'red', values: data.items.map((i) => i.overdue) }] }),
    columnChart({ ...base, key: 'trend_satisfaction', title: '满意度走势', top: 5, step: 1, format: STARS,
      series: [{ name: '满意度', cls: 'stars', values: data.items.map((i) => num(i.satisfaction)) }] }),
  ];
}

function periodForm(load) {
  const bucket = select([['week', '按周'], ['day', '按日']], { name: 'trend-bucket' });
  const from = input({ type: 'date', name: 'trend-from' });
  const to = input({ type: 'date', name: 'trend-to' });
  const go = h('button', { type: 'submit' }, '查看');
  const form = h('form', { class: 'row trend-period' }, field('统计方式', bucket),
    field('开始日期', from, '按日最长 62 天，按周最长 53 周'), field('结束日期', to), go);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    load({ bucket: bucket.value, from: from.value.trim() || undefined, to: to.value.trim() || undefined }, go);
  });
  return { form, from, to, bucket };
}

/** The trend section: a period (default: the last 8 weeks) and its charts. */
export async function trendSection(msg) {
  const box = h('div', { class: 'trend-charts', 'aria-live': 'polite' });
  const period = periodForm(load);
  async function load(query, btn) {
    const data = await act(msg, () => getStaffSupervisionTrend({ query }), btn);
    if (!data) return;
    period.from.value = data.from;
    period.to.value = data.to;
    period.bucket.value = data.bucket;
    clear(box, h('p', { class: 'muted trend-title' }, `${data.title}，${data.bucket === 'week' ? '按周' : '按日'}统计`),
      ...trendCharts(data));
  }
  await load({});
  return section('时段走势', period.form, box);
}
